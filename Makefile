# Two commands do everything on a fresh machine with Python >= 3.11:
#   make run    the main job on the embedded local AWS
#   make test   style, types and every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test style types tests bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,notebooks]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wslab local

test: style types tests

style: $(STAMP)
	$(BIN)/ruff check src lambda_src tests benchmarks
	$(BIN)/ruff format --check src lambda_src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

tests: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/local_aws.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
