# make demo: set up .venv, run the sandbox, sync the example media and walk the checklist.
# make test: set up .venv, then ruff, mypy --strict and pytest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck unit demo clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check mediasync tests contrib

typecheck: venv
	$(BIN)/mypy --strict

unit: venv
	$(BIN)/pytest

test: lint typecheck unit

demo: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" bash contrib/demo.sh

clean:
	rm -rf $(VENV) demo *.egg-info
