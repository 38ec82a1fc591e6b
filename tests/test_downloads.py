"""Each chapter page offers its notebook (.ipynb), and the notebook runs as downloaded.

The download button of a chapter page links ``_sources/book/<lang>/<name>.ipynb``.  That file is
the notebook nbval executes in this test run less its solutions for instructors (the reader's
edition shows them neither on the page nor in the download; ``book/_ext/editions.py``), byte for
byte the source when it has none.  Its code needs ``lmmtext`` installed, not imported from the
repository, and reaches no file through a path relative to the repository; the code it keeps
uses no name that only the left-out solutions define, so it runs the same in the reader's
download folder.
"""
import ast
import importlib.util
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p.relative_to(BOOK).as_posix() for p in BOOK.glob("[a-z][a-z]/*.ipynb"))
PATH_HACKS = re.compile(r"\.\./|sys\.path|os\.chdir|__file__|book/|lmmtext/data")

_spec = importlib.util.spec_from_file_location("lmm_editions_ext_downloads", BOOK / "_ext" / "editions.py")
editions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(editions)


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def names(source: str) -> tuple[set[str], set[str]]:
    """(names the code binds, names it reads)."""
    bound, read = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, read


def reader_download(notebook: str) -> dict:
    nb = json.loads((BOOK / notebook).read_text(encoding="utf-8"))
    return {**nb, "cells": editions.strip_solutions(nb["cells"], "reader")}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_page_offers_the_notebook_less_its_instructor_solutions(built_book, notebook):
    page = (built_book / "book" / notebook).with_suffix(".html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"[^>]*\s+class="btn btn-sm btn-download-source-button', page)
    assert links == [f"../../_sources/book/{notebook}"]
    offered = built_book / "_sources" / "book" / notebook
    expected = reader_download(notebook)
    assert json.loads(offered.read_text(encoding="utf-8")) == expected
    if expected == json.loads((BOOK / notebook).read_text(encoding="utf-8")):
        assert offered.read_bytes() == (BOOK / notebook).read_bytes()


def test_the_reader_download_leaves_out_every_instructor_solution_and_nothing_else():
    for notebook in NOTEBOOKS:
        cells = json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]
        kept = editions.solution_texts(reader_download(notebook)["cells"])
        assert [s[0] for s in kept] == [s[0] for s in editions.solution_texts(cells)
                                        if editions.INSTRUCTOR not in s[1]], notebook


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_kept_code_needs_nothing_the_left_out_solutions_define(notebook):
    cells = json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]
    code = [_source(c) for c in cells if c["cell_type"] == "code"]
    kept = [_source(c) for c in reader_download(notebook)["cells"] if c["cell_type"] == "code"]
    dropped = [c for c in code if c not in kept]
    only_dropped = set().union(*(names(c)[0] for c in dropped)) - set().union(*(names(c)[0] for c in kept))
    used = set().union(*(names(c)[1] for c in kept))
    assert not used & only_dropped, f"{notebook}: the download reads {sorted(used & only_dropped)}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_notebook_needs_only_an_installed_lmmtext(notebook):
    for cell in json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            source = _source(cell)
            assert not PATH_HACKS.search(source), f"{notebook}: {PATH_HACKS.search(source)[0]!r} in\n{source}"
