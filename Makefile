# chatflow — developer entry points. Needs only Go; everything else is
# fetched by `go` itself (modules) or installed by .ci/run (redis-server).
GO      ?= go
FLOWS   ?= examples/flows
DATA    ?= data
ADDR    ?= 127.0.0.1:8080
PKGS    ?= ./...
BENCH   ?= .
COUNT   ?= 6

.PHONY: run chat test fmt-check vet tidy-check lint bench build validate examples

## run: the server in demo mode (loopback only; demo staff sign-in at /v1/demo) on the embedded store with the example flows;
##      automatic moderation runs with its default limits and ladder (README "Automatic moderation"; rules: --config examples/chatflow.yaml)
run:
	$(GO) run ./cmd/chatflow serve --demo --addr $(ADDR) --flows $(FLOWS) --data $(DATA)

## chat: talk to the example bot in the terminal (in-memory store)
chat:
	$(GO) run ./cmd/chatflow run $(FLOWS)

## test: gofmt check, go vet, go test -race (Redis tests need REDIS_ADDR)
test: fmt-check vet
	$(GO) test -race -shuffle=on -count=1 $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

tidy-check:
	$(GO) mod tidy -diff

## lint: vet + staticcheck (fetched through the module proxy) + tidy check
lint: vet tidy-check
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

## bench: the benchmarks; compare runs with benchstat (go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt)
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) $(PKGS)

## validate: lint the example flows and test scripts; examples: run the example scripts
validate:
	$(GO) run ./cmd/chatflow validate examples/
examples:
	$(GO) run ./cmd/chatflow test examples/tests/

build:
	$(GO) build -o bin/chatflow ./cmd/chatflow
