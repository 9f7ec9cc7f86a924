# Warden's build and test entry points. `make test` is what CI runs.
GO ?= go
BIN := bin/warden
HOOK_BIN := bin/warden-hook
# grpcnotrace leaves out gRPC's golang.org/x/net/trace debugging registry
# (Warden never serves it): every hook call starts this binary, and the
# tag saves about 3 MB of RSS and 0.7 ms there (docs/benchmarks.md).
# A plain `go build ./cmd/warden` works too; this is the release build.
TAGS ?= grpcnotrace

.PHONY: build test unit e2e-deps e2e bench fuzz vet pg release-check chromium

# warden-hook needs no tags: it links no gRPC.
build:
	$(GO) build -tags $(TAGS) -o $(BIN) ./cmd/warden
	$(GO) build -o $(HOOK_BIN) ./cmd/warden-hook

vet:
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# unit: every package's tests, the corpus against the baseline, golden files.
unit:
	$(GO) test -count=1 -timeout 30m ./...

test: vet unit e2e

e2e-deps:
	bash scripts/e2e-deps.sh

e2e: build
	bash scripts/e2e.sh

bench:
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

# A local PostgreSQL for the store's PostgreSQL leg: eval "$(make -s pg)"
pg:
	@bash scripts/postgres.sh start

# The release configuration is valid (GoReleaser from the Go module proxy,
# installed into .cache/bin on first use).
release-check:
	bash scripts/goreleaser.sh check

# Debian's headless Chromium for the console's browser tests
# (internal/console); prints its path.
chromium:
	@bash scripts/chromium.sh install
