# Two commands (see README.md):
#   make book   set everything up (virtual environment, requirements, lmmtext) and build the HTML book
#   make test   run every test: unit tests, doctests, nbval over every notebook, a -W book build
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: setup book test clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

book: setup
	$(VENV)/bin/jupyter-book build . --keep-going
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

test: setup
	$(PY) -m pytest

clean:
	rm -rf _build
