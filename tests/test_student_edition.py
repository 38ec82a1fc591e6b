"""The student edition (``make student``) holds no solution: not in its pages, search index or downloads;
the instructor's edition (``make instructor``) holds every solution, marked ones flagged "for instructors".

The editions are built (``conftest.py: edition_build``) from the same sources as the reader's
book, reusing the execution cache of the ``-W`` build (``built_book``), so no notebook is executed
again.  Each solution of
the book (``book/_ext/editions.py: solution_texts``, ordinary and ``instructor`` ones) gives a
few phrases of its plain text; the test fails if any phrase is in the student edition's pages
or downloadable sources, if a term that only the solution has is in its search index, or if a
page has a solution element.  The same phrases are found in the reader's book (ordinary
solutions) and not there either (instructor solutions): the check can fail.
A screenshot of the student edition's exercise section goes to ``test-artifacts/``.
"""
import html
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _browser_helpers():
    """ALLOWED, CHROMIUM, FLAGS and _need_browser of tests/test_browser.py (one browser setup)."""
    import importlib.util as util

    spec = util.spec_from_file_location("lmm_test_browser", Path(__file__).with_name("test_browser.py"))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ALLOWED, module.CHROMIUM, module.FLAGS, module._need_browser
BOOK = ROOT / "book"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


editions_ext = _load("lmm_editions_ext", BOOK / "_ext" / "editions.py")
kosearch = _load("kosearch", BOOK / "_ext" / "kosearch.py")
LANGUAGE = kosearch.SearchKorean({})
SOURCES = sorted(p for p in BOOK.glob("[a-z][a-z]/*.*") if p.suffix in {".ipynb", ".md"})


def cells_of(path: Path) -> list[dict]:
    if path.suffix == ".ipynb":
        return json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [{"cell_type": "markdown", "source": path.read_text(encoding="utf-8")}]


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# Everything the book says outside its solutions: a phrase of a solution must not occur here.
OUTSIDE = plain("\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                           for path in SOURCES
                           for c in editions_ext.strip_solutions(cells_of(path), "student")))


def phrases(text: str) -> list[str]:
    """Up to three runs of plain words of the solution (no math, markup or quotes) the book has nowhere else."""
    text = re.sub(r"\$\$.*?\$\$", "\n", text, flags=re.S)
    text = re.sub(r"\$[^$\n]*\$|`[^`]*`|\{[\w:-]+\}|\[[^\]]*\]\([^)]*\)|<[^>]+>", "\n", text)
    runs = {re.sub(r"\s+", " ", r).strip(" ,") for r in re.findall(r"[\w ,]{10,}", text)}
    runs = [r for r in runs if len(r) >= 10 and " " in r and re.search(r"[^\W\d_]{2}", r) and r not in OUTSIDE]
    return sorted(runs, key=len, reverse=True)[:3]


SOLUTIONS = [(path.relative_to(BOOK).with_suffix("").as_posix(), label, classes, phrases(text))
             for path in SOURCES for label, classes, text in editions_ext.solution_texts(cells_of(path))]


def visible(page: str) -> str:
    m = re.search(r'<article class="bd-article">(.*?)</article>', page, re.S)
    article = m.group(1) if m else page
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", article)))


def load_index(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[len("Search.setIndex("):text.rstrip().rindex(")")])


def stems(text: str) -> set[str]:
    return {LANGUAGE.stem(t.lower()) for t in kosearch.index_terms(text) if LANGUAGE.word_filter(t.lower())}


@pytest.fixture(scope="module")
def student(edition_build) -> Path:
    html, log = edition_build("student")
    assert "Executing notebook" not in log, "the student edition executed notebooks again"
    return html


@pytest.fixture(scope="module")
def instructor(edition_build) -> Path:
    html, log = edition_build("instructor")
    assert "Executing notebook" not in log, "the instructor edition executed notebooks again"
    return html


def test_every_chapter_has_solutions_and_each_gives_phrases():
    assert len(SOLUTIONS) >= 20
    assert any(editions_ext.INSTRUCTOR in classes for _, _, classes, _ in SOLUTIONS)
    empty = [(doc, label) for doc, label, _, found in SOLUTIONS if not found]
    assert len(empty) <= len(SOLUTIONS) // 10, f"solutions without a phrase of their own: {empty}"


SOLUTION_END = re.compile(r"^[ \t]*(`{3,}|:{3,})\{solution-end\}[^\n]*\n[ \t]*\1[ \t]*$", re.M)
NEXT_BLOCK = re.compile(r"(?:`{3,}|:{3,})\{(?:exercise|solution|solution-start)\}|#|\([\w-]+\)=")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(BOOK).as_posix())
def test_no_answer_follows_the_end_of_a_solution(path):
    """Text after ``solution-end`` is on every edition's page: the next thing must be an exercise or a heading."""
    for cell in cells_of(path):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] != "markdown":
            continue
        for end in SOLUTION_END.finditer(source):
            rest = source[end.end():].strip()
            assert not rest or NEXT_BLOCK.match(rest), f"{path.name}: after a solution's end: {rest[:120]!r}"


def test_the_phrases_are_on_the_readers_pages_unless_for_instructors(built_book):
    """The check can fail: ordinary solutions' phrases are in the reader's book, instructor ones are not."""
    found = missing = 0
    for doc, label, classes, found_phrases in SOLUTIONS:
        text = visible((built_book / "book" / f"{doc}.html").read_text(encoding="utf-8"))
        for phrase in found_phrases:
            if editions_ext.INSTRUCTOR in classes:
                assert phrase not in text, f"{doc} {label}: instructor solution on the reader's page: {phrase!r}"
            elif phrase in text:
                found += 1
            else:
                missing += 1
    assert found > 0 and missing <= found // 10, (found, missing)


def test_no_solution_text_on_any_page_of_the_student_edition(student):
    pages = {p: visible(p.read_text(encoding="utf-8")) for p in student.rglob("*.html")
             if "_static" not in p.parts}
    leaks = [(doc, label, phrase, path.name) for doc, label, _, found in SOLUTIONS for phrase in found
             for path, text in pages.items() if phrase in text]
    assert not leaks, leaks[:10]
    for path in pages:
        raw = path.read_text(encoding="utf-8")
        assert 'class="solution' not in raw and "solution dropdown" not in raw, path


def test_no_solution_in_the_downloadable_sources(student):
    sources = [p for p in (student / "_sources").rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in sources)
    for path in sources:
        raw = path.read_text(encoding="utf-8")
        assert "{solution" not in raw, path
        if path.suffix == ".ipynb":
            json.loads(raw)  # still a notebook
        text = plain(raw.replace("\\n", " "))
        for doc, label, _, found in SOLUTIONS:
            for phrase in found:
                assert phrase not in text, f"{path.name}: {label}: {phrase!r}"


def test_no_term_only_a_solution_has_is_in_the_student_search_index(student, built_book):
    """A solution's words that the student page does not show are not indexed for it (and were for the reader)."""
    indexes = [load_index(student / "searchindex.js")] + [load_index(p) for p in student.glob("searchindex-*.js")]
    reader = load_index(built_book / "searchindex.js")
    checked = was_indexed = 0
    page_stems: dict[str, set[str]] = {}
    for doc, label, _, found in SOLUTIONS:
        docname = f"book/{doc}"
        if docname not in page_stems:
            page_stems[docname] = stems(visible((student / f"{docname}.html").read_text(encoding="utf-8")))
        only = {t for phrase in found for t in stems(phrase)} - page_stems[docname]
        for index in indexes:
            if docname not in index["docnames"]:
                continue
            i = index["docnames"].index(docname)
            for term in only:
                docs = index["terms"].get(term, [])
                assert i not in (docs if isinstance(docs, list) else [docs]), f"{docname} {label}: {term!r} indexed"
                checked += 1
        r = reader["docnames"].index(docname)
        was_indexed += sum(r in (d if isinstance(d, list) else [d])
                           for d in (reader["terms"].get(t, []) for t in only))
        for index in indexes:
            assert not [t for t in index.get("alltitles", {}) if re.search(r"해답|^Solution", t)]
    assert checked > 0 and was_indexed > 0, (checked, was_indexed)


def test_screenshot_of_the_student_exercise_section(student, tmp_path):
    _, CHROMIUM, FLAGS, _need_browser = _browser_helpers()

    _need_browser()
    from playwright.sync_api import sync_playwright

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((student / "book" / "ko" / "01_fixed_random.html").as_uri(), wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        exercises = page.locator("div.exercise").first
        assert page.locator("div.exercise").count() >= 3
        assert page.locator(".solution").count() == 0
        exercises.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "student_ko_01_exercises.png")
        browser.close()
    assert (artifacts / "student_ko_01_exercises.png").stat().st_size > 10_000


def test_every_solution_is_on_the_instructor_pages(instructor):
    """Ordinary and instructor solutions alike: each solution's phrases are on its page."""
    found = missing = 0
    for doc, label, classes, found_phrases in SOLUTIONS:
        text = visible((instructor / "book" / f"{doc}.html").read_text(encoding="utf-8"))
        hits = sum(phrase in text for phrase in found_phrases)
        assert hits or not found_phrases, f"{doc} {label}: no phrase of the solution on the instructor page"
        found, missing = found + hits, missing + len(found_phrases) - hits
    assert found > 0 and missing <= found // 10, (found, missing)


def test_the_instructor_edition_marks_the_instructor_solutions(instructor):
    for doc in sorted({doc for doc, *_ in SOLUTIONS}):
        raw = (instructor / "book" / f"{doc}.html").read_text(encoding="utf-8")
        marked = re.findall(r'<div class="solution\b[^"]*\binstructor\b', raw)
        expected = sum(editions_ext.INSTRUCTOR in classes for d, _, classes, _ in SOLUTIONS if d == doc)
        assert len(marked) == expected, (doc, len(marked), expected)
        mark = "교수자용" if doc.startswith("ko/") else "for instructors"
        assert raw.count(f'<span class="instructor-mark"> · {mark}</span>') == expected, doc


def test_the_instructor_edition_offers_the_notebooks_whole(instructor):
    for path in sorted(BOOK.glob("[a-z][a-z]/*.ipynb")):
        offered = instructor / "_sources" / "book" / path.relative_to(BOOK)
        assert offered.read_bytes() == path.read_bytes(), path


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_screenshot_of_an_instructor_problem_set(instructor, lang):
    """The problem set of Chapter 7 in the instructor's edition: its solutions open, flagged for instructors."""
    ALLOWED, CHROMIUM, FLAGS, _need_browser = _browser_helpers()

    _need_browser()
    from playwright.sync_api import sync_playwright

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / f"instructor_{lang}_07_problem_set.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((instructor / "book" / lang / "07_dyestuff.html").as_uri(), wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        marked = page.locator(".solution.instructor")
        assert marked.count() >= 4
        title = marked.first.locator(".admonition-title").inner_text()
        assert ("교수자용" if lang == "ko" else "for instructors") in title, title
        page.locator(f"#{lang}-ex-ch07-ps-design").scroll_into_view_if_needed()
        page.screenshot(path=shot)
        browser.close()
    assert not [e for e in errors if not any(a in e for a in ALLOWED)], errors
    assert shot.stat().st_size > 10_000
