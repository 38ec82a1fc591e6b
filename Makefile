# Two commands (see README.md):
#   make book   set everything up (virtual environment, requirements, lmmtext) and build the HTML book
#   make test   run every test: unit tests, doctests, nbval over every notebook, a -W book build,
#               the built book in a browser (Debian's /usr/bin/chromium)
# and, not part of test or CI (the TeX packages are large):
#   make pdf    the Korean and the English PDF edition (xelatex), in $(PDF_OUT)
#   make studies  run every simulation study in studies/ (minutes each); each writes
#               lmmtext/data/study_<name>.csv, which the notebooks load (lmmtext.studies)
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: setup book test pdf pdf-deps studies clean

PDF_OUT ?= _build/pdf
# Debian packages for the PDF editions (/work/shared/TOOLCHAIN.md): ~2 GB installed, ~5 min.
PDF_DEBS = texlive-xetex texlive-lang-korean latexmk texlive-fonts-recommended texlive-latex-recommended \
           texlive-fonts-extra xindy fonts-nanum fonts-freefont-otf
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

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

pdf-deps:
	@missing="$$(for p in $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends $$missing; \
	fi

pdf: setup pdf-deps
	$(PY) tools/pdf_editions.py $(PDF_OUT)

studies: setup
	@for script in studies/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf _build
