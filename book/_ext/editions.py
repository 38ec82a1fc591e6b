"""Sphinx extension: the reader's, the student's and the instructor's edition from one source.

The configuration value ``lmm_edition`` chooses what happens to the solutions of the exercises
(sphinx-exercise's ``solution`` directive and its gated form ``solution-start`` ...
``solution-end``):

- ``reader`` (the default, ``make book``): ordinary solutions stay (in their dropdowns); a
  solution with the class ``instructor`` (``:class: dropdown instructor``) is left out;
- ``student`` (``make student``): every solution is left out, from the HTML, the search
  index and the downloadable sources (``_sources/**/*.ipynb``, ``*.md``: rewritten after the
  build by :func:`strip_solutions`); a page offers its notebook without the solutions;
- ``instructor`` (``make instructor``): every solution; the title of one marked ``instructor``
  says so (" · 교수자용", " · for instructors").

The downloadable sources follow the pages: the reader's edition offers each notebook as it is in
``book/`` less its instructor solutions (byte for byte the source when it has none,
``tests/test_downloads.py``), the student edition offers it without any solution, and the
instructor's edition as it is.

The solutions are removed from the doctree right after sphinx-exercise merges the gated
form (a transform at priority 11), so the code cells of a gated solution go with it; the
notebooks are executed as they are (their code is the same in every edition, so the
editions reuse the reader's cached execution).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

EDITIONS = ("reader", "student", "instructor")
INSTRUCTOR = "instructor"


def drops(edition: str, classes: list[str]) -> bool:
    """Whether a solution with these classes is left out of the edition.

    >>> drops("reader", ["solution", "dropdown"]), drops("reader", ["solution", "dropdown", "instructor"])
    (False, True)
    >>> drops("student", ["solution"]), drops("instructor", ["solution", "instructor"])
    (True, False)
    """
    if edition == "student":
        return True
    if edition == "instructor":
        return False
    return INSTRUCTOR in classes


class RemoveSolutions(SphinxTransform):
    """Leave the solutions the edition does not show out of the document."""

    default_priority = 11  # after sphinx-exercise's MergeGatedSolutions (10)

    def apply(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import solution_node

        edition = self.config.lmm_edition
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(solution_node)):
            if drops(edition, list(node.get("classes", []))):
                label = node.get("label")
                if label in registry and registry[label].get("type", "").startswith("solution"):
                    del registry[label]
                node.parent.remove(node)


# ------------------------------------------------------------------------------------------
# The sources a reader downloads
# ------------------------------------------------------------------------------------------
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}(?P<rest>.*)$")


def _directive_blocks(text: str) -> list[tuple[int, int, str, str]]:
    """(first line, last line, name, body) of each top-level fenced directive in MyST text."""
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, j = m["fence"], i + 1
        close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        blocks.append((i, min(j, len(lines) - 1), m["name"], "\n".join(lines[i + 1:j])))
        i = j + 1
    return blocks


def _classes(body: str) -> list[str]:
    m = re.search(r"^:class:\s*(.*)$", body, flags=re.M)
    return m.group(1).split() if m else []


def strip_solutions(cells: list[dict[str, Any]], edition: str = "student") -> list[dict[str, Any]]:
    """The cells without the solutions the edition leaves out (markdown and the code of gated ones).

    ``cells`` are notebook cells (a MyST markdown page is one markdown cell).

    >>> md = lambda s: {"cell_type": "markdown", "metadata": {}, "source": s}
    >>> code = {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None}
    >>> cells = [md("Q.\\n\\n```{solution} ex\\n:class: dropdown\\n\\nA.\\n```\\n\\nNext."),
    ...          md("```{solution-start} ex2\\n:class: dropdown\\n```\\nB."), code, md("```{solution-end}\\n```\\nAfter.")]
    >>> [c["source"] for c in strip_solutions(cells)]
    ['Q.\\n\\n\\nNext.', 'After.']
    """
    out, gated = [], None  # gated: the classes of the open gated solution, or None
    for cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] != "markdown":
            if gated is None or not drops(edition, gated):
                out.append(cell)
            continue
        lines = source.split("\n")
        keep = [gated is None or not drops(edition, gated)] * len(lines)
        blocks = _directive_blocks(source)
        position = 0
        for first, last, name, body in blocks:
            for k in range(position, first):
                keep[k] = gated is None or not drops(edition, gated)
            if name == "solution":
                dropped = gated is not None and drops(edition, gated) or drops(edition, _classes(body))
                for k in range(first, last + 1):
                    keep[k] = not dropped
            elif name == "solution-start":
                gated = _classes(body)
                for k in range(first, last + 1):
                    keep[k] = not drops(edition, gated)
            elif name == "solution-end":
                for k in range(first, last + 1):
                    keep[k] = gated is None or not drops(edition, gated)
                gated = None
            else:
                for k in range(first, last + 1):
                    keep[k] = gated is None or not drops(edition, gated)
            position = last + 1
        for k in range(position, len(lines)):
            keep[k] = gated is None or not drops(edition, gated)
        text = "\n".join(line for line, k in zip(lines, keep) if k).strip("\n")
        if text.strip():
            out.append({**cell, "source": text})
    return out


def solution_texts(cells: list[dict[str, Any]]) -> list[tuple[str, list[str], str]]:
    """(label, classes, text) of every solution in the cells; a gated one's text includes its code."""
    found, gated = [], None
    for cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] != "markdown":
            if gated is not None:
                gated[2].append(source)
            continue
        lines = source.split("\n")
        position = 0
        for first, last, name, body in _directive_blocks(source):
            if gated is not None:
                gated[2].append("\n".join(lines[position:first]))
            label = (FENCE.match(lines[first])["rest"] or "").strip()
            if name == "solution":
                found.append((label, _classes(body), re.sub(r"^:\w[\w-]*:.*$", "", body, flags=re.M)))
            elif name == "solution-start":
                gated = (label, _classes(body), [re.sub(r"^:\w[\w-]*:.*$", "", body, flags=re.M)])
            elif name == "solution-end" and gated is not None:
                found.append((gated[0], gated[1], "\n".join(gated[2])))
                gated = None
            position = last + 1
        if gated is not None:
            gated[2].append("\n".join(lines[position:]))
    return found


def strip_file(path: Path, edition: str) -> None:
    """Rewrite a downloadable source (``.ipynb`` or MyST ``.md``) without the edition's hidden solutions.

    A source with nothing to leave out is not rewritten.
    """
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = strip_solutions(nb["cells"], edition)
        if cells != nb["cells"]:
            nb["cells"] = cells
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    elif path.suffix in {".md", ".txt"}:
        text = path.read_text(encoding="utf-8")
        cells = strip_solutions([{"cell_type": "markdown", "source": text}], edition)
        if [c["source"] for c in cells] != [text]:
            path.write_text((cells[0]["source"] + "\n") if cells else "", encoding="utf-8")


def strip_downloads(app: Sphinx, exception: Exception | None) -> None:
    """The sources offered for download hold only the solutions the edition shows."""
    if exception is not None or app.config.lmm_edition == "instructor":
        return
    sources = Path(app.builder.outdir) / "_sources"
    if not sources.is_dir():
        return
    for path in sorted(sources.rglob("*")):
        if path.suffix in {".ipynb", ".md", ".txt"}:
            strip_file(path, app.config.lmm_edition)


MARK = {"ko": " · 교수자용", "en": " · for instructors"}


class MarkInstructorSolutions(SphinxPostTransform):
    """In the instructor's edition, the title of a solution marked ``instructor`` says so.

    Runs after sphinx-exercise has written the solutions' titles (its post-transform at 21).
    """

    default_priority = 25

    def run(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import solution_node

        if self.config.lmm_edition != "instructor":
            return
        lang = "en" if "/book/en/" in Path(self.document.get("source", "")).as_posix() else "ko"
        for node in self.document.findall(solution_node):
            if INSTRUCTOR in node.get("classes", []) and node.children and isinstance(node[0], nodes.title):
                node[0] += nodes.inline(text=MARK[lang], classes=["instructor-mark"])


def check_edition(app: Sphinx) -> None:
    if app.config.lmm_edition not in EDITIONS:
        raise ValueError(f"lmm_edition must be one of {EDITIONS}, got {app.config.lmm_edition!r}")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("lmm_edition", "reader", "env")
    app.connect("builder-inited", check_edition)
    app.add_transform(RemoveSolutions)
    app.connect("build-finished", strip_downloads)
    app.add_post_transform(MarkInstructorSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
