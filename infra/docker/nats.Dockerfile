# NATS at the version the tests run (infra/go.mod's nats-server, built from the Go module proxy by
# binaries.sh: Debian's is older), on an empty base, as uid 65532. /data is the JetStream store, owned by
# that user so that a named volume mounted there starts writable. httpprobe is the health check.
ARG BINARIES=halyard/binaries:latest
ARG BASE=scratch

FROM ${BINARIES} AS binaries

FROM ${BASE}
COPY --from=binaries /nats-server /nats-server
COPY --from=binaries /httpprobe /httpprobe
COPY --from=binaries --chown=65532:65532 /empty/ /data/
USER 65532:65532
EXPOSE 4222 6222 8222
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 CMD ["/httpprobe", "http://127.0.0.1:8222/healthz"]
ENTRYPOINT ["/nats-server"]
CMD ["-c", "/etc/nats/nats.conf"]
