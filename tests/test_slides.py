"""The lecture slides (``make slides``, ``tools/slides.py``): one deck per chapter and language, offline.

The decks are cut here from the notebooks the ``-W`` build executed (``built_book``'s
execution cache), into ``<built book>/slides``, as ``make slides`` does.  Checks:

- every numbered chapter notebook of ``_toc.yml`` has a deck in each language, linked from its
  page (the "slides" link beside the language switch) and from the preface;
- a deck holds the slides its chapter's markers select: one per figure cell (caption
  metadata), one per code cell tagged ``slide``, one per theorem-like statement outside the
  exercises, and every labelled equation outside the exercises (counted independently
  from the notebook with regular expressions);
- no deck loads anything from another host; the Korean and English images differ;
- in Chromium: every deck loads with no JavaScript error, every equation is typeset by MathJax,
  every image loads, ``Reveal.getTotalSlides()`` equals the count, the arrow keys move to the
  next slide and back, and the speaker notes exist.  Screenshots of a Korean and an English
  deck go to ``test-artifacts/``.
"""
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]



def _aborted_but_present(request) -> bool:
    """A request of a file that exists, aborted because the deck moved on before it loaded.

    Under load a MathJax font can still be loading when the next deck is opened; Chromium
    then reports ``net::ERR_ABORTED``.  That is not a missing asset; a missing file is
    ``net::ERR_FILE_NOT_FOUND`` and still fails the test.
    """
    url = request.url
    return (request.failure == "net::ERR_ABORTED" and url.startswith("file://")
            and Path(unquote(url[len("file://"):].split("#")[0])).is_file())

def _browser_helpers():
    """ALLOWED, CHROMIUM, FLAGS and _need_browser of tests/test_browser.py (one browser setup)."""
    import importlib.util as util

    spec = util.spec_from_file_location("lmm_test_browser", Path(__file__).with_name("test_browser.py"))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ALLOWED, module.CHROMIUM, module.FLAGS, module._need_browser
_spec = importlib.util.spec_from_file_location("lmm_slides", ROOT / "tools" / "slides.py")
slides = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = slides  # dataclasses look their module up
_spec.loader.exec_module(slides)
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
DECKS = [(lang, Path(doc).name) for lang in ("ko", "en") for _, doc in slides.chapters(TOC, lang)
         if (ROOT / f"{doc}.ipynb").exists()]
SCREENSHOTS = {"ko": "01_fixed_random", "en": "01_fixed_random"}


def expected(lang: str, name: str) -> dict[str, int]:
    """What the markers of the notebook select, counted from the source with regular expressions."""
    cells = json.loads((ROOT / "book" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    figures = code = theorems = equations = 0
    exercises = False
    for cell in cells:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        meta = cell.get("metadata", {})
        if "no-slide" in meta.get("tags", []):
            continue
        if cell["cell_type"] == "code":
            if exercises:
                continue
            figures += bool(meta.get("mystnb", {}).get("figure", {}).get("caption"))
            code += "slide" in meta.get("tags", [])
            continue
        for piece in re.split(r"(?m)^(?=## )", src):
            if piece.startswith("## "):
                exercises = bool(re.search(r"연습문제|Exercises|참고문헌|References", piece.split("\n")[0]))
            if exercises:
                continue
            theorems += len(re.findall(r"(?m)^(?:`{3,}|:{3,})\{prf:(?:theorem|lemma|proposition|corollary|definition)\}",
                                       piece))
            piece = re.sub(r"(?ms)^(`{3,}|:{3,})\{(?:exercise|solution)[^\n]*\n.*?^\1\s*$", "", piece)
            equations += len(re.findall(r"(?m)^\$\$\s*\([\w:-]+\)\s*$", piece))
    return {"figure": figures, "code": code, "theorem": theorems, "equations": equations}


@pytest.fixture(scope="module")
def decks(built_book) -> Path:
    if not (slides.REVEAL / "dist" / "reveal.js").is_file():
        import os

        message = f"reveal.js is not installed in {slides.REVEAL} (make test installs it with npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = built_book / "slides"
    counts = slides.build(built_book.parent / ".jupyter_cache", out)
    assert set(counts) == {f"{lang}/{name}" for lang, name in DECKS}
    return out


@pytest.mark.parametrize("lang,name", DECKS)
def test_each_deck_holds_what_its_markers_select(decks, lang, name):
    deck = (decks / lang / f"{name}.html").read_text(encoding="utf-8")
    kinds = re.findall(r'<section data-kind="(\w+)"', deck)
    want = expected(lang, name)
    assert kinds[0] == "title" and kinds.count("title") == 1
    assert kinds.count("figure") == want["figure"]
    assert kinds.count("code") == want["code"]
    assert kinds.count("theorem") == want["theorem"]
    assert len(re.findall(r"\\tag\{", deck)) == want["equations"]
    assert len(kinds) == 1 + want["figure"] + want["code"] + want["theorem"] + kinds.count("equations")
    assert deck.count('<aside class="notes">') >= len(kinds) - kinds.count("code") - 1


@pytest.mark.parametrize("lang,name", DECKS)
def test_the_chapter_page_links_its_deck(built_book, decks, lang, name):
    page = (built_book / "book" / lang / f"{name}.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="slides-link" href="([^"]+)"', page)
    assert links == [f"../../slides/{lang}/{name}.html"]
    assert (built_book / "book" / lang / links[0]).resolve().is_file()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_preface_links_every_deck(built_book, decks, lang):
    page = (built_book / "book" / lang / "00_intro.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="lecture-slides">.*?</section>', page, re.S)
    assert section
    links = re.findall(r'href="\.\./\.\./slides/(\w\w)/([\w-]+)\.html"', section.group(0))
    assert links == [(l, n) for l, n in DECKS if l == lang]


def test_no_deck_loads_anything_from_another_host(decks):
    for path in decks.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', text), path
    assert (decks / "_reveal" / "dist" / "reveal.js").is_file()
    assert (decks / "_mathjax" / "es5" / "tex-mml-chtml.js").is_file()
    version = json.loads((ROOT / "package.json").read_text())["dependencies"]["reveal.js"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "reveal.js must be pinned to one version"


def test_korean_and_english_figures_differ(decks):
    """Chapters that declare their edition draw their figures in one language each."""
    compared = 0
    for name in {n for _, n in DECKS}:
        ko_cells = json.loads((ROOT / "book" / "ko" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        if not any("use_language" in (c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
                   for c in ko_cells if c["cell_type"] == "code"):
            continue
        ko = sorted((decks / "ko" / name).glob("*.png"))
        en = sorted((decks / "en" / name).glob("*.png"))
        assert [p.name for p in ko] == [p.name for p in en]
        for a, b in zip(ko, en):
            assert hashlib.sha256(a.read_bytes()).digest() != hashlib.sha256(b.read_bytes()).digest(), a.name
            compared += 1
    assert compared >= 10


# ------------------------------------------------------------------------------------------
# In the browser
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shown(decks):
    ALLOWED, CHROMIUM, FLAGS, _need_browser = _browser_helpers()

    _need_browser()
    from playwright.sync_api import sync_playwright

    root = decks.resolve().as_uri() + "/"
    artifacts = ROOT / "test-artifacts"
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.set_default_timeout(30_000)
        current = {}
        page.on("console", lambda m: m.type == "error" and current["errors"].append(m.text))
        page.on("pageerror", lambda e: current["errors"].append(str(e)))
        page.on("requestfailed", lambda r: None if _aborted_but_present(r)
                else current["errors"].append(f"failed {r.url} {r.failure}"))
        context.on("request", lambda r: current["requests"].append(r.url))
        for lang, name in DECKS:
            current.clear()
            current.update(errors=[], requests=[])
            page.goto(f"{root}{lang}/{name}.html", wait_until="load")
            page.wait_for_function("() => window.Reveal && Reveal.isReady()")
            page.evaluate("async () => { await MathJax.startup.promise; }")
            state = page.evaluate("""() => {
              const maths = [...document.querySelectorAll('.slides .math')];
              return {
                total: Reveal.getTotalSlides(),
                sections: document.querySelectorAll('.slides > section').length,
                maths: maths.length,
                untypeset: maths.filter(m => !m.querySelector('mjx-container')).length,
                images: [...document.images].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0})),
                notes: document.querySelectorAll('aside.notes').length,
              };
            }""")
            # images on later slides load lazily in some browsers: wait until all are complete
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
            state["images"] = page.evaluate("() => [...document.images].map(i => ({src: i.src, ok: i.naturalWidth > 0}))")
            page.locator("body").focus()
            page.keyboard.press("ArrowRight")
            state["after_right"] = page.evaluate("() => Reveal.getIndices().h")
            page.keyboard.press("ArrowLeft")
            state["after_left"] = page.evaluate("() => Reveal.getIndices().h")
            if SCREENSHOTS.get(lang) == name:
                artifacts.mkdir(exist_ok=True)
                kinds = page.evaluate("() => [...document.querySelectorAll('.slides > section')].map(s => s.dataset.kind)")
                for kind in ("equations", "figure"):
                    if kind in kinds:
                        page.evaluate(f"() => Reveal.slide({kinds.index(kind)})")
                        page.wait_for_timeout(300)
                        page.screenshot(path=artifacts / f"slides_{lang}_{name}_{kind}.png")
            state["errors"] = [e for e in current["errors"] if not any(a in e for a in ALLOWED)]
            state["requests"] = list(current["requests"])
            results[(lang, name)] = state
        context.close()
        browser.close()
    return {"root": root, "decks": results}


@pytest.mark.parametrize("lang,name", DECKS)
def test_the_deck_works_in_the_browser(shown, lang, name):
    state = shown["decks"][(lang, name)]
    assert not state["errors"], state["errors"]
    assert state["total"] == state["sections"] == sum(1 for _ in re.finditer(
        r"<section data-kind=", (Path(shown["root"][7:]) / lang / f"{name}.html").read_text(encoding="utf-8")))
    assert state["maths"] > 0 and state["untypeset"] == 0
    assert all(i["ok"] for i in state["images"]), [i["src"] for i in state["images"] if not i["ok"]]
    assert len(state["images"]) == expected(lang, name)["figure"] or len(state["images"]) >= expected(lang, name)["figure"]
    assert state["after_right"] == 1 and state["after_left"] == 0
    assert state["notes"] >= 1
    outside = [u for u in state["requests"] if not u.startswith(shown["root"]) and not u.startswith(("data:", "blob:"))]
    assert not outside, outside


def test_deck_screenshots_are_saved(shown):
    for lang, name in SCREENSHOTS.items():
        for kind in ("equations", "figure"):
            assert (ROOT / "test-artifacts" / f"slides_{lang}_{name}_{kind}.png").stat().st_size > 10_000
