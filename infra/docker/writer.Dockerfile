# syntax=docker/dockerfile:1
#
# The writer: admin API, migrations and the outbox publisher.
# Build from the repository root (the Go workspace needs every module's go.mod):
#   docker build -f infra/docker/writer.Dockerfile -t halyard/writer .

# Only the workspace and module files, so that the download layer below stays cached until a dependency
# changes. Sifting them out in a stage, rather than one COPY per module, keeps this file right when go.work
# gains or loses a module; when only sources change, the sifted tree (and so the cache key) is unchanged.
FROM golang:1.26-bookworm AS modfiles
WORKDIR /src
COPY . .
RUN find . -type f ! \( -name go.mod -o -name go.sum -o -name go.work -o -name go.work.sum \) -delete \
 && find . -type d -empty -delete

# The admin UI's assets (ui/dist), embedded into the writer below with -tags ui. Built with npm from the
# committed lockfile; nothing of it is fetched at run time.
FROM node:22-bookworm-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY ui/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
# -tags=ui embeds the admin UI's assets (ui/dist, from the ui stage) instead of the page saying how to build them.
ENV CGO_ENABLED=0 GOFLAGS="-buildvcs=false -tags=ui"
COPY --from=modfiles /src/ ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# The writer's sources, the shared domain, infra (the embedded SQL migrations) and the UI's built assets.
COPY shared/ shared/
COPY infra/ infra/
COPY services/writer/ services/writer/
COPY ui/*.go ui/go.mod ui/
COPY --from=ui /src/ui/dist/ ui/dist/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/writer ./services/writer/cmd/writer

# Static binary on distroless: no shell, no package manager, not root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/writer /writer
USER nonroot
EXPOSE 8080
# The binary checks its own /readyz; exit 0 means ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["/writer", "-healthcheck"]
ENTRYPOINT ["/writer"]
