# make demo: set up .venv, run the sandbox, sync the example media and walk the checklist.
# make test: set up .venv, then ruff, mypy --strict and pytest.
# make chaos: the fault-and-kill check. make bench: every case of docs/benchmarks.md, 3 rounds
# interleaved (about 9 minutes), figures written to that file. make watch-check: the watch
# daemon checked end to end against the sandbox.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck unit demo chaos bench profile watch-check clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check mediasync tests bench

typecheck: venv
	$(BIN)/mypy --strict

unit: venv
	$(BIN)/pytest

test: lint typecheck unit

demo: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" bash contrib/demo.sh

clean:
	rm -rf $(VENV) demo *.egg-info

# Not part of `make test`: minutes long, and they measure rather than assert.
chaos: venv
	$(BIN)/python bench/chaos.py

watch-check: venv
	$(BIN)/python -m bench.watch_check

# The commit before the speed-ups of issue 6: its figures stand beside today's.
BENCH_BEFORE ?= d7f1970

bench: venv
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run --before $(BENCH_BEFORE)
	$(BIN)/python -m bench.profile --write

profile: venv
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.profile
