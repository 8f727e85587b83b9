# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test lint es-start es-stop

$(BIN)/toezicht: pyproject.toml
	scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/toezicht

## Run the main job on the bundled demo site, offline.
demo: install
	$(BIN)/toezicht demo

## Start Elasticsearch, then run the test suite and the linter.
test: install
	scripts/system-deps --with-browser
	$(BIN)/toezicht es start
	$(BIN)/python -m pytest
	$(BIN)/ruff check .

lint: install
	$(BIN)/ruff check .

es-start: install
	$(BIN)/toezicht es start

es-stop: install
	$(BIN)/toezicht es stop
