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
## The short pass counts executions instead of timing them: with a -fuzztime
## duration, Go 1.26's fuzz coordinator can fail a target with "context deadline
## exceeded" when the deadline meets a busy worker (golang/go#75804, fixed in 1.27).
test: vet
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

## fuzz: each fuzz target for FUZZTIME (default 20s; NNNx is a count of inputs).
## Targets are found in the sources (func FuzzXxx in a _test.go file).
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -d' ' -f2); do \
	    echo "fuzz $$dir $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$dir; \
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
