# syntax=docker/dockerfile:1
#
# The evaluator: stateless flag evaluation from the snapshots it follows on NATS JetStream.
# Build from the repository root (the Go workspace needs every module's go.mod):
#   docker build -f infra/docker/evaluator.Dockerfile -t halyard/evaluator .

# Only the workspace and module files, so that the download layer below stays cached until a dependency
# changes. Sifting them out in a stage, rather than one COPY per module, keeps this file right when go.work
# gains or loses a module; when only sources change, the sifted tree (and so the cache key) is unchanged.
FROM golang:1.26-bookworm AS modfiles
WORKDIR /src
COPY . .
RUN find . -type f ! \( -name go.mod -o -name go.sum -o -name go.work -o -name go.work.sum \) -delete \
 && find . -type d -empty -delete

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY --from=modfiles /src/ ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# The evaluator's sources and the shared domain.
COPY shared/ shared/
COPY services/evaluator/ services/evaluator/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/evaluator ./services/evaluator/cmd/evaluator

# Static binary on distroless: no shell, no package manager, not root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/evaluator /evaluator
USER nonroot
EXPOSE 8081
# The binary checks its own /readyz; exit 0 means ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/evaluator", "-healthcheck"]
ENTRYPOINT ["/evaluator"]
