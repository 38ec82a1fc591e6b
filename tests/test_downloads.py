"""Each chapter page offers its notebook (.ipynb), and the notebook runs as downloaded.

The download button of a chapter page links ``_sources/book/<lang>/<name>.ipynb``.  That file
is byte for byte the notebook nbval executes in this test run (with ``lmmtext`` installed, not
imported from the repository), and its code reaches no file through a path relative to the
repository, so it runs the same in the reader's download folder.
"""
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p.relative_to(BOOK).as_posix() for p in BOOK.glob("[a-z][a-z]/*.ipynb"))
PATH_HACKS = re.compile(r"\.\./|sys\.path|os\.chdir|__file__|book/|lmmtext/data")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_page_offers_the_notebook_itself(built_book, notebook):
    page = (built_book / "book" / notebook).with_suffix(".html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"[^>]*\s+class="btn btn-sm btn-download-source-button', page)
    assert links == [f"../../_sources/book/{notebook}"]
    offered = built_book / "_sources" / "book" / notebook
    assert offered.read_bytes() == (BOOK / notebook).read_bytes()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_notebook_needs_only_an_installed_lmmtext(notebook):
    cells = json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            assert not PATH_HACKS.search(source), f"{notebook}: {PATH_HACKS.search(source)[0]!r} in\n{source}"
