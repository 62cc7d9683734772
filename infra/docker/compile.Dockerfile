# The registry variant of halyard/binaries: the same binaries, compiled inside a Go image rather than on the
# host. For machines that can pull BUILDER; the default, offline path is binaries.Dockerfile. From the
# repository root:
#   docker build -f infra/docker/compile.Dockerfile -t halyard/binaries .
# then build the other images as `make images` does (see docs/compose.md).
ARG BUILDER=golang:1.26-bookworm

FROM ${BUILDER} AS build
WORKDIR /src
COPY . .
ARG GO_LDFLAGS="-s -w"
RUN GO_LDFLAGS="$GO_LDFLAGS" GOFLAGS=-buildvcs=false infra/docker/binaries.sh /out

FROM scratch
COPY --from=build /out/ /
