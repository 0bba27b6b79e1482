# Two commands do all the set-up on a fresh machine:
#   make chat   run the bot locally (embedded SQLite, demo plan, no Telegram token)
#   make test   run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint install catalogs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/ntvt chat

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

catalogs: $(STAMP)
	$(BIN)/python -m locales.catalog

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
