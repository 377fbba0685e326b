# make run  — set up .venv, migrate, load demo data on first run, serve on :8000
# make test — install what the tests need and run the whole suite
# make lint — ruff and import-linter

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Two test processes (pytest-xdist): the machines have two cores.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint contract install install-test browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/fillrate migrate
	@if [ ! -f var/.demo-loaded ]; then $(BIN)/fillrate demo && touch var/.demo-loaded; fi
	@echo
	@echo "  fillrate is starting on http://$(HOST):$(PORT)/"
	@echo "  log in as admin (or supervisor, picker, sales) with password fillrate-demo"
	@echo
	FILLRATE_DEBUG=$${FILLRATE_DEBUG:-1} $(BIN)/fillrate serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; install it when it is missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped"; \
	  else echo "no /usr/bin/chromium and not root: browser tests will be skipped"; fi; \
	fi

test: install-test browser
	$(BIN)/pytest $(PYTEST_ARGS)

# schemathesis over the whole OpenAPI document of a served demo (.ci/schemathesis)
contract: install-test
	BIN=$(BIN) .ci/schemathesis

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var
