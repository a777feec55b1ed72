# chatflow — developer entry points. Needs only Go; everything else is
# fetched by `go` itself (modules) or installed by .ci/run (redis-server).
GO      ?= go
FLOWS   ?= examples/flows
DATA    ?= data
ADDR    ?= 127.0.0.1:8080
PKGS    ?= ./...
BENCH   ?= .
COUNT   ?= 6

.PHONY: run chat test fmt-check vet tidy-check lint openapi-lint bench loadtest build validate examples plugin axe release-check release-snapshot

REDOCLY ?= @redocly/cli@2.77.0
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.17.0
SYFT_VERSION ?= v1.57.2

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

## openapi-lint: the OpenAPI document against Redocly's recommended rules (needs node/npx; 0 errors required)
openapi-lint:
	npx --yes $(REDOCLY) lint --extends=recommended internal/server/openapi.json

## bench: the benchmarks; compare runs with benchstat (go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt)
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) $(PKGS)

## loadtest: the load harness on loopback: chatflow serve on the embedded store (and on Redis when
## REDIS_ADDR is set) against a bare net/http handler, at c=1, 8 and 50 (LOADFLAGS: -c, -d, -rounds)
## (PROFILE=1: CPU profiles of the servers at the highest concurrency into testout/loadtest)
LOADFLAGS ?=
PROFILE   ?=
loadtest:
	@mkdir -p bin
	$(GO) build $(if $(PROFILE),-tags pprof) -o bin/chatflow ./cmd/chatflow
	$(GO) build -o bin/loadtest ./cmd/loadtest
	./bin/loadtest -bin bin/chatflow -flows $(FLOWS) $(if $(PROFILE),-cpuprofile testout/loadtest) $(LOADFLAGS)

## validate: lint the example flows and test scripts; examples: run the example scripts
validate:
	$(GO) run ./cmd/chatflow validate --config examples/chatflow.yaml examples/
examples:
	$(GO) run ./cmd/chatflow test examples/tests/

## plugin: the third-party module of examples/plugin (its own go.mod): vet, test, build bin/chatflow-plugin
plugin:
	cd examples/plugin && $(GO) vet ./... && $(GO) test -race -count=1 ./... && $(GO) build -o ../../bin/chatflow-plugin .

## axe: install axe-core (the version pinned in internal/web/testdata/axe) for the browser tests' accessibility checks; needs npm
axe:
	cd internal/web/testdata/axe && npm ci --ignore-scripts --no-audit --no-fund

build:
	$(GO) build -o bin/chatflow ./cmd/chatflow

## release-check: validate .goreleaser.yaml
release-check:
	$(GORELEASER) check

## release-snapshot: build the release archives (linux, darwin × amd64, arm64), checksums and SBOMs into dist/, without publishing
release-snapshot:
	@command -v syft >/dev/null 2>&1 || { echo "installing syft $(SYFT_VERSION) (go install)"; $(GO) install github.com/anchore/syft/cmd/syft@$(SYFT_VERSION); }
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GORELEASER) release --snapshot --clean
