"""Every chapter ends its exercises with a problem set for instructors to assign.

The problem set is a subsection of the exercises, ``### Problem set`` (English) and
``### 과제 문제`` (Korean), with at least three exercises labelled ``<lang>-ex-chNN-ps-<slug>``
whose solutions carry the class ``instructor`` (shown only in ``make instructor``; the reader's
book and the student edition leave them out).  At least one is an open data-analysis problem,
labelled ``<lang>-ex-chNN-ps-data-<slug>``, whose solution computes and asserts in code cells:
nbval executes those cells like every other cell.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
_spec = importlib.util.spec_from_file_location("lmm_editions_ext_problem_sets", BOOK / "_ext" / "editions.py")
editions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(editions)

HEADING = {"en": "### Problem set", "ko": "### 과제 문제"}
CHAPTERS = sorted(p.name for p in (BOOK / "en").glob("[01][0-9]_*.ipynb"))
MINIMUM = 3


def _text(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def problem_set(lang: str, name: str) -> tuple[list[dict], list[tuple[str, list[str], str]]]:
    """The notebook's cells, and (label, classes, text) of the solutions of its problem set."""
    cells = json.loads((BOOK / lang / name).read_text(encoding="utf-8"))["cells"]
    prefix = f"{lang}-ex-ch{name[:2]}-ps-"
    solutions = [s for s in editions.solution_texts(cells) if s[0].startswith(prefix)]
    return cells, solutions


def exercise_labels(cells: list[dict], prefix: str) -> list[str]:
    return re.findall(rf"^:label:\s*({re.escape(prefix)}[\w-]+)\s*$",
                      "\n".join(_text(c) for c in cells if c["cell_type"] == "markdown"), flags=re.M)


def test_there_are_sixteen_chapters():
    assert [name[:2] for name in CHAPTERS] == [f"{k:02d}" for k in range(1, 17)]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("name", CHAPTERS)
def test_the_chapter_has_a_problem_set_after_its_exercises(lang, name):
    cells, _ = problem_set(lang, name)
    lines = [line for c in cells if c["cell_type"] == "markdown" for line in _text(c).split("\n")]
    assert HEADING[lang] in lines, f"{lang}/{name}: no {HEADING[lang]!r}"
    exercises = "## 연습문제" if lang == "ko" else "## Exercises"
    assert lines.index(exercises) < lines.index(HEADING[lang])


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("name", CHAPTERS)
def test_the_problem_set_has_three_problems_solved_for_instructors_only(lang, name):
    cells, solutions = problem_set(lang, name)
    labels = exercise_labels(cells, f"{lang}-ex-ch{name[:2]}-ps-")
    assert len(labels) >= MINIMUM, f"{lang}/{name}: {labels}"
    assert sorted(label for label, _, _ in solutions) == sorted(labels), "each problem has one solution"
    assert all(editions.INSTRUCTOR in classes for _, classes, _ in solutions)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("name", CHAPTERS)
def test_the_problem_set_has_an_open_data_analysis_problem_checked_in_code(lang, name):
    cells, solutions = problem_set(lang, name)
    data = [text for label, _, text in solutions if label.startswith(f"{lang}-ex-ch{name[:2]}-ps-data-")]
    assert data, f"{lang}/{name}: no data-analysis problem"
    assert any(re.search(r"^\s*(assert |np\.testing\.assert)", text, flags=re.M) for text in data)


@pytest.mark.parametrize("name", CHAPTERS)
def test_both_editions_set_the_same_problems(name):
    ko = [label[len("ko-"):] for label in exercise_labels(problem_set("ko", name)[0], f"ko-ex-ch{name[:2]}-ps-")]
    en = [label[len("en-"):] for label in exercise_labels(problem_set("en", name)[0], f"en-ex-ch{name[:2]}-ps-")]
    assert ko == en
