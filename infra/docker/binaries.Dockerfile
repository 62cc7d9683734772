# halyard/binaries: the static binaries every other image copies from (writer, evaluator, halyard-seed,
# httpprobe, nats-server, and an empty directory). `make images` builds them on the host with binaries.sh
# and packs them with this file, so nothing is pulled:
#   infra/docker/binaries.sh bin/images && docker build -f infra/docker/binaries.Dockerfile -t halyard/binaries bin/images
# With a registry, compile.Dockerfile builds the same image from source in a Go image instead.
FROM scratch
COPY . /
