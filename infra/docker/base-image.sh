#!/usr/bin/env bash
# Builds the Debian base image that the PostgreSQL, HAProxy and Prometheus images start from, without a
# registry: debootstrap makes a minimal bookworm root filesystem with Debian's own packages on the host, and
# `docker import` turns it into an image. Both are cached: the image by its tag (its name carries a hash of
# the package list), the root filesystem as a tarball under HALYARD_CACHE, so a machine whose Docker images
# were wiped imports again instead of downloading again. Prints the image's tag; it is also tagged latest,
# the default BASE of the Dockerfiles that use it.
#
#   HALYARD_CACHE          where the tarball and debootstrap's .deb cache live (default /var/cache/halyard)
#   HALYARD_DEBIAN_MIRROR  the mirror debootstrap uses (default: the host's first Debian source)
set -euo pipefail

suite=bookworm
packages=postgresql,haproxy,prometheus
cache=${HALYARD_CACHE:-/var/cache/halyard}
key=$(printf '%s %s v1' "$suite" "$packages" | sha256sum | cut -c1-12)
tag=halyard/base-$suite:$key

if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "halyard/base-$suite:latest"
  echo "$tag"
  exit 0
fi

mirror() {
  if [ -n "${HALYARD_DEBIAN_MIRROR:-}" ]; then echo "$HALYARD_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hsoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* \
    | head -n1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

tarball=$cache/base-$suite-$key.tar
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  mkdir -p "$cache/debs"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "base-image: debootstrap $suite with $packages into $rootfs" >&2
  debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
    "$suite" "$rootfs" "$(mirror)" >&2
  # What an image does not need: package lists and caches, documentation, and the clusters and runtime
  # directories the packages' install scripts made for a host (each image makes its own at start).
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
    "$rootfs"/var/lib/postgresql/* "$rootfs"/etc/postgresql/*
  tar -C "$rootfs" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
    -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
docker import -m "debootstrap --variant=minbase --include=$packages $suite" "$tarball" "$tag" >/dev/null
docker tag "$tag" "halyard/base-$suite:latest"
echo "$tag"
