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

# The writer embeds the admin UI (-tags ui) built here with npm from ui/package-lock.json; without npm (as in
# compile.Dockerfile's Go image) an already built ui/dist is used, else the writer serves the page saying how
# to build it.
if command -v npm >/dev/null; then
  (cd ui && { [ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build >/dev/null)
fi
writer_tags=()
if [ -f ui/dist/index.html ]; then writer_tags=(-tags ui); else echo "binaries.sh: ui/dist is not built: the writer serves no admin UI" >&2; fi
go build -trimpath "${writer_tags[@]}" -ldflags="$ldflags" -o "$out/writer" ./services/writer/cmd/writer
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
