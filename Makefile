# Two commands do all the set-up on a fresh machine:
#   make chat   run the bot locally (embedded SQLite, demo plan, no Telegram token)
#   make test   run the whole test suite
# Both install the exact versions of requirements.lock (checked by their hashes), the ones CI
# tested; `make lock` writes it anew from pyproject.toml (with uv, from the package index).
# The web desk's browser tests drive the system's Chromium (/usr/bin/chromium): `make install`
# installs it from Debian's packages when it is missing and the user is root, and otherwise
# says how (the tests skip, saying why, without it). Nothing is downloaded by Playwright.
# Likewise nginx (/usr/sbin/nginx), whose `nginx -t` checks deploy/nginx-ntvt.conf in the
# tests (Debian's package; its service is not started by this).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9

.PHONY: chat test lint install lock catalogs clean

CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx

$(STAMP): pyproject.toml requirements.lock
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "make: no $(CHROMIUM): the desk's browser tests will skip; install it with: sudo apt-get install chromium"; \
		fi; \
	fi
	@if [ ! -x $(NGINX) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
		else \
			echo "make: no $(NGINX): the nginx site's test will skip; install it with: sudo apt-get install nginx"; \
		fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/ntvt chat

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --generate-hashes \
		--custom-compile-command "make lock" -o requirements.lock

catalogs: $(STAMP)
	$(BIN)/python -m locales.catalog

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
