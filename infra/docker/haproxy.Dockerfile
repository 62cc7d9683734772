# HAProxy from Debian's packages, on the debootstrapped base (base-image.sh), as the haproxy user. The
# configuration is mounted at /etc/haproxy/haproxy.cfg (infra/haproxy/haproxy.cfg in the compose cluster).
ARG BINARIES=halyard/binaries:latest
ARG BASE=halyard/base-bookworm:latest

FROM ${BINARIES} AS binaries

FROM ${BASE}
COPY --from=binaries /httpprobe /usr/local/bin/httpprobe
USER haproxy
EXPOSE 8081 8404 9090
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=6 CMD ["httpprobe", "http://127.0.0.1:8404/healthz"]
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
