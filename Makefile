# Tributary — two commands on a fresh machine:
#   make run    install what is missing, build, serve http://127.0.0.1:3000 (SQLite + sandbox)
#   make test   fmt, clippy, unit + store tests on SQLite and PostgreSQL, end-to-end in Chromium
#   make bench  speed and memory targets with 120,000 transactions (not part of `make test`)
#
# Tools are installed outside the clone (cargo's bin folder and $(TOOLS_DIR)) and
# their versions checked, so a fresh clone on a kept machine does not rebuild them.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLCHAIN            := 1.97.0
CARGO_LEPTOS_VERSION := 0.3.11
# Must equal the wasm-bindgen crate pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION := 0.2.130
# Debian's binaryen (108) produces broken wasm for this toolchain; npm's 132 works.
BINARYEN_VERSION     := 132.0.0
# Plaid's official Python client, to prove the sandbox speaks Plaid (pluggy-sdk
# is pinned in end2end/package.json).
PLAID_PYTHON_VERSION := 46.0.0
TOOLS_DIR            ?= $(HOME)/.cache/tributary-tools
CARGO_BIN            := $(HOME)/.cargo/bin

export PATH := $(TOOLS_DIR)/node_modules/.bin:$(CARGO_BIN):$(PATH)
# Never let Playwright fetch a browser: tests use Debian's Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export CARGO_TERM_COLOR ?= always

PG_CLUSTER  := 15 main
PG_SOCKET   := /var/run/postgresql
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test bench deps toolchain tools npm-deps browser postgres build build-release \
        fmt-check clippy unit-test e2e screenshots official-clients clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: deps build-release ## Install what is missing, build, and serve on SQLite with the sandbox
	@echo "Starting Tributary at http://$${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C to stop)"
	./target/release/tributary serve

test: deps browser fmt-check clippy unit-test e2e official-clients ## Everything CI runs
	@echo "All checks passed."

# ---------------------------------------------------------------- tools

deps: toolchain tools npm-deps ## Install the toolchain, cargo-leptos, wasm-bindgen, wasm-opt and npm packages

toolchain:
	@command -v rustup >/dev/null || { echo "error: rustup is required (https://rustup.rs)"; exit 1; }
	@rustup toolchain list | grep -q "^$(TOOLCHAIN)-" || \
	  rustup toolchain install $(TOOLCHAIN) --profile minimal --component rustfmt,clippy
	@rustup target list --installed --toolchain $(TOOLCHAIN) | grep -q wasm32-unknown-unknown || \
	  rustup target add wasm32-unknown-unknown --toolchain $(TOOLCHAIN)

tools: toolchain
	@if [ "$$(cargo leptos --version 2>/dev/null | awk '{print $$2}')" != "$(CARGO_LEPTOS_VERSION)" ]; then \
	  echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 16 minutes on 2 cores, once)"; \
	  cargo +$(TOOLCHAIN) install --locked cargo-leptos@$(CARGO_LEPTOS_VERSION) --features no_downloads; \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes, once)"; \
	  cargo +$(TOOLCHAIN) install --force wasm-bindgen-cli@$(WASM_BINDGEN_VERSION); \
	fi
	@if [ "$$($(TOOLS_DIR)/node_modules/.bin/wasm-opt --version 2>/dev/null | awk '{print $$3}')" != "$(firstword $(subst ., ,$(BINARYEN_VERSION)))" ]; then \
	  echo "Installing wasm-opt (binaryen $(BINARYEN_VERSION) from npm)"; \
	  mkdir -p $(TOOLS_DIR); \
	  npm install --silent --no-audit --no-fund --prefix $(TOOLS_DIR) binaryen@$(BINARYEN_VERSION); \
	fi

npm-deps:
	@command -v npm >/dev/null || { echo "error: Node.js and npm are required"; exit 1; }
	@if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then \
	  npm ci --silent --no-audit --no-fund --prefix end2end; \
	fi
	@# Live mode's Pluggy Connect: the npm package has no browser bundle, so
	@# esbuild makes one (window.PluggyConnect) into public/, which the build copies.
	@if [ ! -f public/pluggy-connect.js ] || [ end2end/node_modules/.package-lock.json -nt public/pluggy-connect.js ] \
	     || [ src/widgets/pluggy_connect_bundle.mjs -nt public/pluggy-connect.js ]; then \
	  NODE_PATH=$(CURDIR)/end2end/node_modules end2end/node_modules/.bin/esbuild src/widgets/pluggy_connect_bundle.mjs \
	    --bundle --minify --format=iife --target=es2019 --legal-comments=eof --log-level=warning \
	    --outfile=public/pluggy-connect.js; \
	fi

browser: ## Debian's Chromium and ChromeDriver for the end-to-end tests
	@if [ ! -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi

# ---------------------------------------------------------------- build

build: deps ## Debug build of server and WASM
	cargo leptos build

build-release: deps ## Release build (what `make run` serves)
	cargo leptos build --release

# ---------------------------------------------------------------- checks

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

# Starts the local PostgreSQL cluster and makes sure root may use it.
postgres:
	@command -v pg_ctlcluster >/dev/null || { echo "error: PostgreSQL 15 is required for the store tests"; exit 1; }
	@pg_lsclusters -h | awk '{print $$4}' | grep -q online || $(SUDO) pg_ctlcluster $(PG_CLUSTER) start
	@for i in $$(seq 1 30); do pg_isready -q -h $(PG_SOCKET) && break; sleep 0.5; done
	@pg_isready -q -h $(PG_SOCKET) || { echo "error: PostgreSQL did not start"; exit 1; }
	@if ! psql -h $(PG_SOCKET) -d postgres -tAc 'select 1' >/dev/null 2>&1; then \
	  $(SUDO) su postgres -c "createuser -s $$(id -un)"; \
	fi

# Unit tests and the store suite on a SQLite file and on a throw-away
# PostgreSQL database made for this run and dropped after it.
unit-test: postgres
	@db=tributary_test_$$$$_$$(date +%s); \
	createdb -h $(PG_SOCKET) $$db; \
	trap 'dropdb -h $(PG_SOCKET) --if-exists --force '$$db EXIT; \
	TRIBUTARY_TEST_POSTGRES_URL="postgres:///$$db?host=$(PG_SOCKET)" cargo test --features ssr

# Speed and memory targets (README "Performance"): seeds 120,000 transactions
# into a SQLite file and into a throw-away PostgreSQL database made for this
# run, times the list, its filters, the dashboard, the CSV export and sync in
# release mode, and fails when a target is missed. Timings are checked here,
# never by tests, so it is not part of `make test`. Needs only the toolchain
# and PostgreSQL, not the front-end tools.
bench: toolchain postgres ## Benchmarks with 120,000 transactions on SQLite and PostgreSQL
	@db=tributary_bench_$$$$_$$(date +%s); \
	createdb -h $(PG_SOCKET) $$db; \
	trap 'dropdb -h $(PG_SOCKET) --if-exists --force '$$db EXIT; \
	TRIBUTARY_BENCH_POSTGRES_URL="postgres:///$$db?host=$(PG_SOCKET)" cargo bench --features ssr --bench transactions

# End-to-end: release build, then Playwright starts the binary on a free port
# with its own SQLite file and drives Debian's Chromium.
e2e: build-release npm-deps browser
	cd end2end && E2E_PORT=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
	  npx playwright test

# Current screenshots of every page at phone and desktop size, for the README.
screenshots: build-release npm-deps browser ## Refresh end2end/screenshots/ (shown in the README)
	cd end2end && E2E_PORT=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
	  SCREENSHOTS_DIR=$(CURDIR)/end2end/screenshots npx playwright test tests/screens.spec.ts --project=phone --project=desktop

# The providers' official clients (plaid-python, pluggy-sdk) against
# `tributary sandbox`, with only the host / base URL changed.
official-clients: build-release npm-deps
	@if ! $(TOOLS_DIR)/pyenv/bin/pip show plaid-python 2>/dev/null | grep -qx "Version: $(PLAID_PYTHON_VERSION)"; then \
	  python3 -m venv $(TOOLS_DIR)/pyenv && \
	  $(TOOLS_DIR)/pyenv/bin/pip install --quiet plaid-python==$(PLAID_PYTHON_VERSION); \
	fi
	@port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	dir=$$(mktemp -d); \
	TRIBUTARY_DATA_DIR=$$dir ./target/release/tributary sandbox --addr 127.0.0.1:$$port > $$dir/sandbox.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -rf '$$dir EXIT; \
	for i in $$(seq 1 50); do grep -q listening $$dir/sandbox.log && break; sleep 0.1; done; \
	$(TOOLS_DIR)/pyenv/bin/python end2end/plaid_python_flow.py http://127.0.0.1:$$port/sandbox/plaid && \
	node end2end/pluggy_sdk_flow.mjs http://127.0.0.1:$$port/sandbox/pluggy

clean: ## Remove build output and local data
	cargo clean
	rm -rf data end2end/test-results end2end/playwright-report public/pluggy-connect.js
