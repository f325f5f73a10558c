# Stadshus: `make run` serves the API and web page, `make test` runs the tests. Both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# uv does not read pip's configuration; pass it the same local wheel folder (the CPU build of torch).
FIND_LINKS := $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
UV_FLAGS := --python $(BIN)/python $(if $(FIND_LINKS),--find-links $(FIND_LINKS))
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install index run test eval bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set, every CLI call would otherwise
	# compile its imports again (about 1 s of the 1.6 s of `stadshus search`).
	$(BIN)/uv pip sync $(UV_FLAGS) --compile-bytecode requirements.lock
	$(BIN)/uv pip install $(UV_FLAGS) --no-deps -e .
	$(BIN)/python -m compileall -q indexer service
	touch $@

index: install
	$(BIN)/stadshus index

index/current:
	$(MAKE) index

# `stadshus index` re-embeds only changed text (about 2 s when nothing changed), so every run serves the
# corpus as it is, in the index format this version reads.
run: install index
	$(BIN)/stadshus serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

eval: install index/current
	$(BIN)/stadshus eval

bench: install index/current
	$(BIN)/python -m eval.bench

# Re-resolve the pinned dependencies (needs uv; run after changing pyproject.toml).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock $(if $(FIND_LINKS),--find-links $(FIND_LINKS)) \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28

clean:
	rm -rf $(VENV) index .pytest_cache
