#!/usr/bin/env bash
# Makes sure a Docker engine answers, for `make images`, `make up` and `make test-compose`: installs Debian's
# docker.io, docker-compose (unless `docker compose` works) and debootstrap when missing, and on a machine
# without systemd (CI's) starts containerd and dockerd in the background when no engine answers. Their logs
# go to /var/log/halyard-containerd.log and /var/log/halyard-dockerd.log.
set -euo pipefail
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  echo "engine: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

docker info >/dev/null 2>&1 && exit 0

# wait_for SECONDS COMMAND...: polls COMMAND every half second until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
if ! ctr --address /run/containerd/containerd.sock version >/dev/null 2>&1; then
  echo "engine: starting containerd" >&2
  as_root setsid containerd >>/var/log/halyard-containerd.log 2>&1 </dev/null &
  wait_for 30 ctr --address /run/containerd/containerd.sock version ||
    { echo "engine: containerd did not start; see /var/log/halyard-containerd.log" >&2; exit 1; }
fi
echo "engine: starting dockerd" >&2
as_root setsid dockerd --containerd=/run/containerd/containerd.sock >>/var/log/halyard-dockerd.log 2>&1 </dev/null &
wait_for 60 docker info || { echo "engine: dockerd did not start; see /var/log/halyard-dockerd.log" >&2; exit 1; }
