# The evaluator: stateless flag evaluation from the snapshots it follows on NATS JetStream. A static binary
# on an empty base, as uid 65532, with no shell: -healthcheck probes /readyz. `make images` builds it offline.
ARG BINARIES=halyard/binaries:latest
ARG BASE=scratch

FROM ${BINARIES} AS binaries

FROM ${BASE}
ARG VERSION=dev
LABEL org.opencontainers.image.title=halyard-evaluator org.opencontainers.image.version=$VERSION
COPY --from=binaries /evaluator /evaluator
USER 65532:65532
EXPOSE 8081 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/evaluator", "-healthcheck"]
ENTRYPOINT ["/evaluator"]
