# halyard-seed: the compose cluster's one-shot service that creates (or finds) the demo project and
# environment and prints its SDK key. A static binary on an empty base, as uid 65532.
ARG BINARIES=halyard/binaries:latest
ARG BASE=scratch

FROM ${BINARIES} AS binaries

FROM ${BASE}
ARG VERSION=dev
LABEL org.opencontainers.image.title=halyard-seed org.opencontainers.image.version=$VERSION
COPY --from=binaries /halyard-seed /halyard-seed
USER 65532:65532
ENTRYPOINT ["/halyard-seed"]
