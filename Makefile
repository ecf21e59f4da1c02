# The two commands people type: `make run` (set up + the main job) and `make test`.
# Every target sets up the locked environment first; a second call reuses it.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
MAIN_FLOW := EMD: escritorio - Geolocalizacao de chamados 1746

.PHONY: setup run test lint lock bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/pipelines run "$(MAIN_FLOW)"

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Tracked files and new ones not yet added (a project just scaffolded), not ignored.
lint: $(STAMP)
	git ls-files -z --cached --others --exclude-standard \
		| xargs -0 $(BIN)/pre-commit run --files

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock --quiet

clean:
	rm -rf $(VENV) .datalake
