# Hutong: `make run` serves the chat on http://$(HOST):$(PORT); `make test` runs the suite twice.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The deployed configuration the second test pass uses (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hutong
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: run test lint jstest messages chromium migrate static sdk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

messages: | $(BIN)/python
	@command -v msgfmt >/dev/null || (apt-get update -qq && $(APT_INSTALL) gettext)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && $(APT_INSTALL) chromium)

migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput -v 0

# npm packages the build and the tests use (package.json); never committed.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The classic-script SDK (window.TIM), bundled from the same modules as tim.js.
SDK_BUNDLE := static/im/dist/tim.global.js
$(SDK_BUNDLE): static/im/tim-global.js static/im/tim.js $(wildcard static/im/tim/*.js) node_modules/.installed
	node_modules/.bin/esbuild static/im/tim-global.js --bundle --format=iife --target=es2022 \
		--minify --sourcemap --log-level=warning --outfile=$@

sdk: $(SDK_BUNDLE)

# What WhiteNoise serves: the static files with their gzip copies, under var/staticfiles.
static: $(VENV)/.runtime sdk
	$(BIN)/python manage.py collectstatic --noinput -v 0

run: $(VENV)/.runtime messages migrate static
	$(BIN)/python manage.py imdemo
	@echo "Serving on http://$(HOST):$(PORT)/"
	exec $(BIN)/python -m chatsite.serve -b $(HOST) -p $(PORT) chatsite.asgi:application

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# The SDK's pure logic (static/im/tim/*.js) under Node's own test runner; no npm packages.
jstest: sdk
	node --test tests/js/

# Two pytest-xdist workers, a test module each at a time (its module-scoped servers stay
# in one worker): most tests wait on a browser or a server process, so two at once use
# the two cores. Each worker has its own databases and Redis namespace (tests/settings.py).
PYTEST_WORKERS ?= -n 2 --dist loadfile
# Each test run gets its own channel-layer namespace, so runs sharing a Redis never mix.
test: export HUTONG_CHANNEL_PREFIX = hutong-test-$(shell date +%s%N)
test: $(VENV)/.dev chromium messages lint sdk jstest
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python tests/check_services.py
	@echo "=== pass 1: embedded defaults (SQLite, in-memory channel layer, local files) ==="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest $(PYTEST_WORKERS)
	@echo "=== pass 2: deployed (PostgreSQL, Redis) ==="
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_WORKERS) -m "not once"

# Every scenario of issue 5 in both configurations (needs PostgreSQL and Redis on loopback);
# prints the table and keeps the raw output under bench/results/. See bench/README.md.
.PHONY: bench
bench: $(VENV)/.dev
	$(BIN)/python -m bench --config both
