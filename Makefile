# The two-command developer experience: `make demo` and `make test`.
#
# Works on a fresh machine with only python3 (>= 3.11): the first run creates .venv
# and installs the project with its test extras; later runs reinstall only when
# pyproject.toml changed (the stamp file in .venv records the last install).
#
#   make demo                          run the demo school with the local LINE simulator
#   make test                          run the whole test suite
#   make test PYTEST_ARGS="-x -k bind" pass extra arguments to pytest
#   make venv                          only create/refresh the virtualenv
#   make clean                         remove .venv and caches

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help demo test venv clean

help:
	@echo "make demo   run the demo (web + scheduler + local LINE simulator); prints the URL to open"
	@echo "make test   run the test suite (extra pytest arguments: PYTEST_ARGS=\"...\")"
	@echo "make venv   create .venv and install the project (done by demo/test when needed)"
	@echo "make clean  remove .venv and caches"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "error: $(PYTHON) is older than 3.11; run with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp; no stamp if pip fails.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/portfolio-bot demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
