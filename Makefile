# drbd-reactor (Bun). Every target installs what it needs when it is missing.
BUN_VERSION := 1.4.5
BUN ?= $(shell command -v bun 2>/dev/null)
ifeq ($(BUN),)
BUN := bun
endif
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

BINARY := dist/drbd-reactor
SOURCES := $(shell find src plugins -name '*.ts' -o -name '*.json' 2>/dev/null) package.json
STAMP := node_modules/.install-stamp

.PHONY: all build test check demo bench clean tools system-deps

all: build

# bun through npm (its postinstall fetches the runtime from the npm registry).
tools:
	@command -v bun >/dev/null 2>&1 || { echo "installing bun $(BUN_VERSION) with npm"; npm install -g --allow-scripts=bun bun@$(BUN_VERSION) >/dev/null 2>&1 || npm install -g bun@$(BUN_VERSION); }

# Real peers for the end-to-end tests: Debian's prometheus package (promtool + server).
system-deps:
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then \
	  echo "installing Debian's prometheus package (promtool and server for the e2e tests)"; \
	  for i in 1 2 3; do \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null && break; \
	    echo "apt-get failed (attempt $$i), retrying"; sleep 5; \
	  done; \
	  command -v promtool >/dev/null 2>&1 || { echo "could not install prometheus"; exit 1; }; \
	fi

$(STAMP): package.json bun.lock | tools
	$(BUN) install --frozen-lockfile
	@touch $@

build: $(BINARY)

$(BINARY): $(STAMP) $(SOURCES)
	@mkdir -p dist
	$(BUN) build src/main.ts --compile --production --bytecode --format=esm --sourcemap \
	  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
	  --outfile $(BINARY)
	@rm -f $(BINARY).map

check: $(STAMP)
	$(BUN) check

# Type check, then every test (unit, simulator, integration against the compiled binary).
test: $(BINARY) check system-deps
	@mkdir -p build
	$(BUN) test --timeout 30000 --reporter=junit --reporter-outfile=build/junit.xml

demo: $(BINARY)
	$(BUN) test/sim/demo.ts

bench: $(BINARY)
	$(BUN) test/bench/run.ts

clean:
	rm -rf dist build node_modules/.install-stamp
