# Two commands (see README.md):
#   make book   set everything up (virtual environment, requirements, lmmtext, reveal.js) and build the
#               HTML book (the reader's edition) with its lecture slides, in _build/html
#   make test   run every test: unit tests, doctests, nbval over every notebook, a -W book build,
#               the student edition, the slides, the built book and decks in a browser (Debian's chromium)
# The editions and the slides reuse the book's executed notebooks (execute_notebooks: cache):
#   make student     the student's edition, no solutions anywhere, in $(STUDENT_OUT)/_build/html
#   make instructor  the instructor's edition, every solution, in $(INSTRUCTOR_OUT)/_build/html
#   make slides      one reveal.js deck per chapter and language, in _build/html/slides
# and, not part of test or CI (the TeX packages are large):
#   make pdf    the Korean and the English PDF edition (xelatex), in $(PDF_OUT)
#   make studies  run every simulation study in studies/ (minutes each); each writes
#               lmmtext/data/study_<name>.csv, which the notebooks load (lmmtext.studies)
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed
# reveal.js, pinned in package.json / package-lock.json, installed from the npm registry into _build/npm
NPM_DIR = _build/npm
REVEAL  = $(NPM_DIR)/node_modules/reveal.js/dist/reveal.js
STUDENT_OUT    ?= _build/student
INSTRUCTOR_OUT ?= _build/instructor

.PHONY: setup book html slides student instructor test pdf pdf-deps studies clean

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

$(REVEAL): package.json package-lock.json
	mkdir -p $(NPM_DIR)
	cp package.json package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(REVEAL)

book: html slides
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

html: setup
	$(VENV)/bin/jupyter-book build . --keep-going

slides: setup $(REVEAL)
	@[ -d _build/.jupyter_cache ] || $(MAKE) html
	$(PY) tools/slides.py _build/.jupyter_cache _build/html/slides
	@echo "Slides: file://$(CURDIR)/_build/html/slides/index.html"

student: setup
	@[ -d _build/.jupyter_cache ] || $(MAKE) html
	$(PY) tools/editions.py student $(STUDENT_OUT) --cache _build/.jupyter_cache

instructor: setup
	@[ -d _build/.jupyter_cache ] || $(MAKE) html
	$(PY) tools/editions.py instructor $(INSTRUCTOR_OUT) --cache _build/.jupyter_cache

test: setup $(REVEAL)
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
