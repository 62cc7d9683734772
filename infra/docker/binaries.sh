#!/usr/bin/env bash
# Builds every binary Halyard's images copy, static (CGO off) and without local paths (-trimpath), into the
# directory given: writer, evaluator, halyard-seed, httpprobe, and nats-server at the version infra/go.mod
# pins (the one every test runs), from the Go module proxy. `make images` runs it on the host;
# compile.Dockerfile runs it inside a Go image for those who build from a registry.
#
#   GO_LDFLAGS  linker flags for Halyard's binaries (default "-s -w"; the Makefile adds the version settings)
set -euo pipefail
out=${1:?usage: binaries.sh OUTDIR}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CGO_ENABLED=0 GOOS=linux
ldflags=${GO_LDFLAGS:--s -w}

go build -trimpath -ldflags="$ldflags" -o "$out/writer" ./services/writer/cmd/writer
go build -trimpath -ldflags="$ldflags" -o "$out/evaluator" ./services/evaluator/cmd/evaluator
go build -trimpath -ldflags="$ldflags" -o "$out/halyard-seed" ./devkit/cmd/halyard-seed
go build -trimpath -ldflags="-s -w" -o "$out/httpprobe" ./infra/docker/httpprobe

nats_version=$(cd infra && go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
if [ "$("$out/nats-server" --version 2>/dev/null)" != "nats-server: $nats_version" ]; then
  GOBIN="$out" go install -trimpath -ldflags="-s -w" \
    "github.com/nats-io/nats-server/v2@$nats_version"
fi
# An empty directory: images made FROM scratch copy it to get a data directory owned by their user.
mkdir -p "$out/empty"
