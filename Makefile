# rbuild: `make` builds, `make demo` shows a cutoff, `make test` runs everything.
GO ?= go
BIN := bin/rbuild
PREFIX ?= /usr/local

.PHONY: all build install demo test test-deps vet bench bench-scale fuzz crash clean

all: build

# Static (CGO_ENABLED=0), "one static binary" as the design says: net's
# cgo DNS resolver was all of the binary's cgo, and linking libc for it
# cost every rbuild process 1.2 MB of RSS (libc's pages, its thread
# stacks): 8% of a 1k-action build plan's peak.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/rbuild

# cargo-rbuild (a symlink) makes `cargo rbuild build …` work.
install: build
	install -d $(PREFIX)/bin
	install -m 0755 $(BIN) $(PREFIX)/bin/rbuild
	ln -sf rbuild $(PREFIX)/bin/cargo-rbuild

# Builds the bundled chain workspace, edits a comment at the bottom crate,
# and shows that the dependents are skipped.
demo: build
	./scripts/demo.sh

# Debian packages the tests need (crates, ninja, strace); idempotent and quick
# when already installed.
test-deps:
	./scripts/install-test-deps.sh

# The packages with concurrency run under the race detector (instead of a
# plain run: their tests are the same, and mostly wait on rustc), and every
# fuzz target gets a few seconds (scripts/fuzz.sh lists them). The
# timeout is twice the slowest package's time on a loaded 2-core machine
# (cmd/rbuild: 2007 s, make test from a fresh clone of e6de601).
RACE_PKGS := executor build log cache

test: test-deps vet
	RBUILD_REQUIRE_DEBIAN=1 $(GO) test -count=1 -timeout 70m $$($(GO) list ./... | grep -v -x $(RACE_PKGS:%=-e rbuild/%))
	RBUILD_REQUIRE_DEBIAN=1 $(GO) test -race -count=1 -timeout 60m $(RACE_PKGS:%=./%)
	GO=$(GO) ./scripts/fuzz.sh 3s

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

bench: build test-deps
	RBUILD_REQUIRE_DEBIAN=1 $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 40m ./cmd/rbuild

# rbuild build --build-plan against ninja on random DAGs of 1k, 10k and 100k
# trivial actions (README: rbuild bench --scale); the 100k full builds take
# about ten minutes each. SCALE=1k,10k for a quicker run.
SCALE ?= 1k,10k,100k
bench-scale: build test-deps
	./$(BIN) bench --scale $(SCALE)

# Each fuzz target for FUZZTIME, one after another (`make fuzz FUZZTIME=5m`;
# FUZZ=REGEXP picks targets).
FUZZTIME ?= 5m
FUZZ ?=
fuzz:
	GO=$(GO) ./scripts/fuzz.sh $(FUZZTIME) '$(FUZZ)'

# The kill -9 campaign at KILLS random instants (default 120), the Debian
# workspace included; RBUILD_KILL_SEED=N replays one. Its figures are
# the table the test logs last.
KILLS ?= 120
crash: test-deps
	RBUILD_REQUIRE_DEBIAN=1 RBUILD_KILL_FULL=1 RBUILD_KILLS=$(KILLS) $(GO) test -count=1 -timeout 180m -run '^TestKill9Campaign$$' -v ./cmd/rbuild

clean:
	rm -rf bin
