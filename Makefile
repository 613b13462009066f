# Everything a user or CI runs, from a fresh clone: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench test-oldest-python clean

$(BIN)/tap-litmos: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

install: $(BIN)/tap-litmos

demo: install
	$(BIN)/python scripts/demo.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run.py

# The oldest Python the tap supports, when the machine has it: the tap alone,
# its unit tests and syncs through the fake site, without Meltano.
OLDEST_PYTHON ?= python3.10
OLD_VENV := .venv-oldest
test-oldest-python:
	$(OLDEST_PYTHON) -m venv $(OLD_VENV)
	$(OLD_VENV)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(OLD_VENV)/bin/python -m pip install --quiet -e . pytest pytest-timeout hypothesis werkzeug
	$(OLD_VENV)/bin/pytest -p no:cacheprovider tests/test_dates.py tests/test_values.py \
		tests/test_ledger.py tests/test_windows.py tests/test_readings.py

clean:
	rm -rf $(VENV) $(OLD_VENV) .meltano output .pytest_cache .mypy_cache .ruff_cache
