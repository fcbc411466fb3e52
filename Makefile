# crdb-logexport — see README.md. `make test` is what CI runs.
GO      ?= go
BIN     := bin/crdb-logexport
PKG     := github.com/crdb-logexport/crdb-logexport
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%d)
LDFLAGS := -s -w \
	-X $(PKG)/cmd/internal/versioncmd.Version=$(VERSION) \
	-X $(PKG)/cmd/internal/versioncmd.Commit=$(COMMIT) \
	-X $(PKG)/cmd/internal/versioncmd.Date=$(DATE)
FUZZTIME ?= 20s

.PHONY: all build test vet unit fuzz bench sandbox demo clean

all: build

build: $(BIN)

$(BIN): FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/crdb-logexport

FORCE:

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

## test: vet, then every test with the race detector (contract, emulator fidelity,
## end-to-end runs of the built binary), then a short pass of each fuzz target.
test: vet
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=5s

## fuzz: each fuzz target for FUZZTIME (default 20s).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the figures of README's Performance section, each against its
## bound: prints one table and writes bench/results.json.
bench: build
	$(GO) run ./bench

## demo: the guided setup against the built-in sandbox, in one process; enter
## at every prompt sets up prod-aws and shows its logs arriving.
demo: build
	$(BIN) demo

## sandbox: run the emulators on 127.0.0.1:26280 (Cloud) and :26281 (AWS).
sandbox: build
	$(BIN) sandbox serve --env-file .sandbox.env

clean:
	rm -rf bin .sandbox.env
