# The writer: admin API, migrations and the outbox publisher. A static binary on an empty base, as uid 65532,
# with no shell: -healthcheck probes /readyz. `make images` builds it offline (see docs/compose.md).
ARG BINARIES=halyard/binaries:latest
ARG BASE=scratch

FROM ${BINARIES} AS binaries

FROM ${BASE}
ARG VERSION=dev
LABEL org.opencontainers.image.title=halyard-writer org.opencontainers.image.version=$VERSION
COPY --from=binaries /writer /writer
USER 65532:65532
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["/writer", "-healthcheck"]
ENTRYPOINT ["/writer"]
