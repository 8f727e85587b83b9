# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test lint lock es-start es-stop

# Installs are reproducible: every package, pinned with hashes, from requirements.lock;
# the project itself goes on top without resolving anything.
$(BIN)/toezicht: pyproject.toml requirements.lock
	scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/toezicht

## Run the main job on the bundled demo site, offline.
demo: install
	$(BIN)/toezicht demo

## Start Elasticsearch (9.5.4, the es_version default; the client is elasticsearch-py
## 9.5), then run the test suite and the linter.
test: install
	scripts/system-deps --with-browser
	$(BIN)/toezicht es start
	$(BIN)/python -m pytest
	$(BIN)/ruff check .

## Re-resolve requirements.lock after a dependency change in pyproject.toml
## (UPGRADE=1 also moves every pin to the newest allowed version).
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 \
	  --generate-hashes $(if $(UPGRADE),--upgrade,) -o requirements.lock

lint: install
	$(BIN)/ruff check .

# Elasticsearch 9.5.4 (es_version / TOEZICHT_ES_VERSION); a running 8.x node from this
# data dir is replaced by `make es-stop es-start`.
es-start: install
	$(BIN)/toezicht es start

es-stop: install
	$(BIN)/toezicht es stop
