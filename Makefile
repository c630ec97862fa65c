# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/rnnpop demo --store runs/demo

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,docs]"
	touch $(STAMP) $(DEV_STAMP) $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) runs site
