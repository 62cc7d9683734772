# Halyard — see README.md. Every target works on a fresh Debian machine with Go and PostgreSQL's binaries.
SHELL := /bin/bash
MODULES := shared services/writer services/evaluator infra devkit ui
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_TEST_FLAGS ?= -count=1 -timeout 15m

.PHONY: build test test-go js-deps ui-deps ui dev dev-reset up down lint fmt clean help

# The version, commit and build time every binary reports (-version, GET /version, halyard_build_info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILD_TIME ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/halyard-flags/halyard/shared/buildinfo
LDFLAGS := -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).Commit=$(COMMIT) -X $(BUILDINFO).Time=$(BUILD_TIME)

build: ui ## binaries into bin/ (the writer with the admin UI embedded), with the version, commit and build time set
	go build -tags ui -ldflags "$(LDFLAGS)" -o bin/writer ./services/writer/cmd/writer
	go build -ldflags "$(LDFLAGS)" -o bin/evaluator ./services/evaluator/cmd/evaluator

test: test-go ## every test: unit, integration (real Postgres + in-process NATS), compose checks

test-go: js-deps ui-deps ## the Go tests of every module (what test runs; devkit/e2e TestAdminUI runs the browser tests)
	@set -e; for m in $(MODULES); do echo "== go test $$m"; (cd $$m && go test $(GO_TEST_FLAGS) ./...); done

# The JavaScript SDKs devkit/e2e TestJSSDKs runs (posthog-node, OpenFeature OFREP), from the committed lockfile.
js-deps: devkit/js/node_modules/.package-lock.json ## the JavaScript SDKs for the e2e tests (npm ci)

devkit/js/node_modules/.package-lock.json: devkit/js/package-lock.json
	@if command -v npm >/dev/null; then cd devkit/js && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: TestJSSDKs will fail (HALYARD_SKIP_JS=1 skips it)" >&2; fi

# The admin UI: its npm packages (Vite, React, and for the browser tests playwright-core and axe) from the
# committed lockfile, and its assets in ui/dist, which the writer embeds when built with -tags ui.
ui-deps: ui/node_modules/.package-lock.json ## the admin UI's npm packages (npm ci in ui/)

ui/node_modules/.package-lock.json: ui/package-lock.json
	@if command -v npm >/dev/null; then cd ui && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the admin UI cannot be built and TestAdminUI will fail (HALYARD_SKIP_UI=1 skips it)" >&2; fi

ui: ui-deps ## build the admin UI's assets into ui/dist (npm run build)
	cd ui && npm run build

dev: ui ## the whole local cluster with a demo environment and the admin UI (Ctrl-C stops it; data and keys stay in .dev/)
	go build -o bin/halyard-dev ./devkit/cmd/halyard-dev
	bin/halyard-dev

dev-reset: ## wipe .dev/: the local cluster's data, NATS store and demo keys (refused while make dev runs)
	go build -o bin/halyard-dev ./devkit/cmd/halyard-dev
	bin/halyard-dev -reset

up: ## the compose cluster (needs a Docker engine)
	docker compose up --build -d

down: ## stop the compose cluster
	docker compose down

lint: ## gofmt, go vet and staticcheck (pinned)
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "== lint $$m"; (cd $$m && go vet ./... && go run $(STATICCHECK) ./...); done

fmt: ## gofmt -s every module
	gofmt -s -w $(MODULES)

clean: dev-reset ## remove bin/ and .dev/ (refused while make dev runs)
	rm -rf bin

help: ## this list
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  make %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: bench
bench: ## benchmarks, not part of `make test`: writes docs/benchmarks.md and .json (BENCH_QUICK=1: < 2 min smoke run)
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	go build -o bin/halyard-bench ./devkit/cmd/halyard-bench
	bin/halyard-bench
