# Prometheus from Debian's packages, on the debootstrapped base (base-image.sh), as the prometheus user. The
# configuration is mounted at /etc/prometheus (infra/prometheus in the compose cluster); data in /prometheus.
ARG BINARIES=halyard/binaries:latest
ARG BASE=halyard/base-bookworm:latest

FROM ${BINARIES} AS binaries

FROM ${BASE}
COPY --from=binaries /httpprobe /usr/local/bin/httpprobe
RUN install -d -o prometheus -g prometheus /prometheus
USER prometheus
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=6 CMD ["httpprobe", "http://127.0.0.1:9090/-/ready"]
ENTRYPOINT ["prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]
