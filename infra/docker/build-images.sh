#!/usr/bin/env bash
# Builds every image of the compose cluster with no registry at all (`make images`): the static binaries on
# the host (binaries.sh), packed into halyard/binaries; the Debian base made with debootstrap (base-image.sh,
# cached); then each service's image FROM those two local images. The Dockerfiles work with the classic
# builder and with BuildKit, so any Docker engine will do.
#
#   IMAGE_TAG   the tag of Halyard's images (default latest); each is tagged latest too
#   VERSION     recorded in the images' org.opencontainers.image.version label (default dev)
#   GO_LDFLAGS  the linker flags of Halyard's binaries (binaries.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${IMAGE_TAG:-latest}
version=${VERSION:-dev}
bin=bin/images

log=$(mktemp)
trap 'rm -f "$log"' EXIT
build() { # image, then docker build arguments; the builder's output is shown only when it fails
  local name=$1
  shift
  echo "images: halyard/$name:$tag"
  docker build -f "infra/docker/$name.Dockerfile" -t "halyard/$name:$tag" -t "halyard/$name:latest" "$@" >"$log" 2>&1 ||
    { cat "$log" >&2; return 1; }
}

infra/docker/binaries.sh "$bin"
build binaries "$bin"
binaries=(--build-arg "BINARIES=halyard/binaries:$tag")
for name in writer evaluator seed; do
  build "$name" "${binaries[@]}" --build-arg "VERSION=$version" infra/docker
done
build nats "${binaries[@]}" infra/docker
nats_version=$("$bin/nats-server" --version | awk '{print $2}')
docker tag "halyard/nats:$tag" "halyard/nats:${nats_version#v}"

base=$(infra/docker/base-image.sh)
build postgres --build-arg "BASE=$base" infra/docker
for name in haproxy prometheus; do
  build "$name" "${binaries[@]}" --build-arg "BASE=$base" infra/docker
done
