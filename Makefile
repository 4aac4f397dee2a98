# rbuild: `make` builds, `make demo` shows a cutoff, `make test` runs everything.
GO ?= go
BIN := bin/rbuild
PREFIX ?= /usr/local

.PHONY: all build install demo test test-deps vet bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rbuild

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

test: test-deps vet
	RBUILD_REQUIRE_DEBIAN=1 $(GO) test -count=1 -timeout 60m ./...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

bench: build test-deps
	RBUILD_REQUIRE_DEBIAN=1 $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 40m ./cmd/rbuild

clean:
	rm -rf bin
