"""The built book in a real browser: Debian's chromium driven by playwright (from PyPI).

One browser, one context and one tab visit every page of the built book once
(``crawl``); the tests then check what was recorded:

- no JavaScript error, except the known noise of Jupyter Book 1.0.4 (ALLOWED);
- math is typeset: every ``.math`` element holds MathJax output (``mjx-container``)
  and no raw ``$$`` or ``\\(`` is left in the text outside code;
- no request leaves the site: every request is a ``file://`` URL inside the built book;
- the language link leads to the counterpart page, whose link leads back;
- every image loads (``naturalWidth > 0``); code cells have a copy button;
- each edition reads as one book: the sidebar of a Korean page links Korean pages only (the
  same for English), and its search box goes to its edition's search page, which finds pages of
  that edition only (Korean: search.html, English: search-en.html);
- the search pages find a Korean and an English term, and the JavaScript splitter and
  stemmer give the same terms as ``book/_ext/kosearch.py``.

Screenshots of one Korean and one English chapter go to ``test-artifacts/``.

The browser is ``/usr/bin/chromium`` (``apt-get install chromium``); ``playwright install``
is never used (it downloads a browser).  Without chromium these tests are skipped, or fail
when the environment variable ``CI`` is set.
"""
import importlib.util
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ["book/ko/01_fixed_random", "book/en/01_fixed_random"]

# Flags that work headless as root (/work/shared/TOOLCHAIN.md).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Console errors every Jupyter Book 1.0.4.post1 page produces; nothing of ours.
ALLOWED = [
    "Identifier 'THEBE_JS_URL' has already been declared",  # sphinx-thebe inserts its config twice
    "Got invalid theme mode",  # pydata-sphinx-theme, before the theme mode is stored on first load
]


def _need_browser():
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "playwright is not installed (pip install -r requirements.txt)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser tests cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield context, page
        context.close()
        browser.close()


def _pages(html_root: Path) -> list[str]:
    """Every page of the built book (not the theme's template fragments in _static)."""
    return sorted(p.relative_to(html_root).with_suffix("").as_posix()
                  for p in html_root.rglob("*.html") if p.relative_to(html_root).parts[0] not in {"_static", "slides"})


PAGE_STATE = """() => {
  const prose = document.body.cloneNode(true);  // the text outside code (code may hold "\\(")
  prose.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
  const visible = prose.textContent;
  prose.querySelectorAll('.lang-switch').forEach(e => e.remove());  // the link to the other edition
  const maths = [...document.querySelectorAll('.math')];
  const switchLink = document.querySelector('a.lang-switch-link');
  return {
    title: document.title,
    maths: maths.length,
    untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
    mjx: document.querySelectorAll('mjx-container').length,
    rawDollars: visible.includes('$$'),
    rawParens: /\\\\\\(|\\\\\\[/.test(visible),
    langLink: switchLink ? switchLink.href : null,
    images: [...document.images].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0})),
    codeCells: document.querySelectorAll('div.cell div.highlight').length,
    copyButtons: document.querySelectorAll('button.copybtn').length,
    ipynbDownload: [...document.querySelectorAll('a.btn-download-source-button')].map(a => a.href),
    sidebar: [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.href.split('#')[0]),
    searchAction: [...new Set([...document.querySelectorAll('form.bd-search')].map(f => f.action))],
    searchIndex: [...document.scripts].map(s => s.src).filter(s => /searchindex/.test(s)),
    hangul: (prose.textContent.match(/[\uac00-\ud7a3]+/g) || []).slice(0, 10),
    toggleHints: [...new Set([...document.querySelectorAll('[data-toggle-hint]')].map(b => b.dataset.toggleHint)
                   .concat([...document.querySelectorAll('.toggle-details__summary-text')].map(e => e.textContent)))],
  };
}"""


@pytest.fixture(scope="module")
def crawl(built_book, browser_page):
    """Visit every page once; record errors, requests and the page's state."""
    context, page = browser_page
    root = built_book.resolve().as_uri() + "/"
    current = {"url": None}
    records: dict[str, dict] = {}

    def record(kind, text):
        records[current["url"]]["errors"].append(f"{kind}: {text}")

    page.on("console", lambda m: m.type == "error" and record("console", m.text))
    page.on("pageerror", lambda e: record("pageerror", str(e)))
    page.on("requestfailed", lambda r: record("requestfailed", f"{r.url} {r.failure}"))
    context.on("request", lambda r: records[current["url"]]["requests"].append(r.url))

    start = time.perf_counter()
    for name in _pages(built_book):
        url = root + name + ".html"
        current["url"] = url
        records[url] = {"name": name, "errors": [], "requests": []}
        page.goto(url, wait_until="load")
        if name == "index":  # the root page only redirects to the front page
            page.wait_for_url(root + "book/index.html", wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        records[url].update(page.evaluate(PAGE_STATE))
        if name in SCREENSHOTS:
            ARTIFACTS.mkdir(exist_ok=True)
            slug = name.replace("/", "_")
            page.screenshot(path=ARTIFACTS / f"{slug}.png")
            figure = page.locator("article img").first
            if figure.count():
                figure.scroll_into_view_if_needed()
                page.screenshot(path=ARTIFACTS / f"{slug}_figure.png")
    seconds = time.perf_counter() - start
    print(f"\nbrowser: {len(records)} pages in {seconds:.1f} s")
    return {"root": root, "pages": records, "seconds": seconds}


def _allowed(error: str) -> bool:
    return any(a in error for a in ALLOWED)


def test_every_page_is_visited(crawl, built_book):
    names = {r["name"] for r in crawl["pages"].values()}
    assert {"index", "search", "genindex", "book/index"} <= names
    for lang in ("ko", "en"):
        for src in (ROOT / "book" / lang).glob("*.*"):
            if src.suffix in {".md", ".ipynb"}:
                assert f"book/{lang}/{src.stem}" in names


def test_no_javascript_errors(crawl):
    errors = {r["name"]: [e for e in r["errors"] if not _allowed(e)] for r in crawl["pages"].values()}
    errors = {k: v for k, v in errors.items() if v}
    assert not errors, errors


def test_math_is_typeset(crawl):
    with_math = [r for r in crawl["pages"].values() if r["maths"]]
    assert any(r["name"] == "book/ko/01_fixed_random" for r in with_math)
    for r in crawl["pages"].values():
        assert not r["untypeset"], f"{r['name']}: math not typeset: {r['untypeset'][:3]}"
        assert not r["rawDollars"], f"{r['name']}: raw $$ in the text"
        assert not r["rawParens"], f"{r['name']}: raw \\( or \\[ in the text"
        if r["maths"]:
            assert r["mjx"] >= r["maths"], r["name"]


def test_no_request_leaves_the_site(crawl):
    requests = [u for r in crawl["pages"].values() for u in r["requests"]]
    assert len(requests) > len(crawl["pages"]) * 5, "requests were not recorded"
    outside = sorted({u for u in requests
                      if not (u.startswith(crawl["root"]) or urlsplit(u).scheme in {"data", "blob", "about"})})
    assert not outside, outside


def test_language_link_goes_to_the_counterpart_and_back(crawl):
    pages = crawl["pages"]
    checked = 0
    for url, r in pages.items():
        m = re.fullmatch(r"book/(ko|en)/(.+)", r["name"])
        if not m:
            assert r["langLink"] is None, r["name"]
            continue
        other = "en" if m[1] == "ko" else "ko"
        target = crawl["root"] + f"book/{other}/{m[2]}.html"
        assert r["langLink"] == target, r["name"]
        assert pages[target]["langLink"] == url, f"{target} does not link back to {url}"
        checked += 1
    assert checked >= 8


def test_every_image_loads(crawl):
    for r in crawl["pages"].values():
        broken = [i["src"] for i in r["images"] if not i["ok"]]
        assert not broken, f"{r['name']}: {broken}"
    assert sum(len(r["images"]) for r in crawl["pages"].values()) > 0


def test_code_cells_have_a_copy_button_and_chapters_offer_their_notebook(crawl):
    for r in crawl["pages"].values():
        if r["codeCells"]:
            assert r["copyButtons"] >= r["codeCells"], r["name"]
        m = re.fullmatch(r"book/(ko|en)/(.+)", r["name"])
        if m and (ROOT / f"{r['name']}.ipynb").exists():
            assert r["ipynbDownload"] == [crawl["root"] + f"_sources/{r['name']}.ipynb"], r["name"]


def test_screenshots_are_saved(crawl):
    for name in SCREENSHOTS:
        assert (ARTIFACTS / f"{name.replace('/', '_')}.png").stat().st_size > 10_000


def test_each_edition_reads_as_one_book(crawl):
    """Sidebar links, the search box and the loaded index of a page belong to its edition."""
    root = crawl["root"]
    checked = 0
    for r in crawl["pages"].values():
        m = re.fullmatch(r"book/(ko|en)/(.+)", r["name"])
        if not m:
            continue
        lang = m[1]
        assert r["sidebar"] and all(u.startswith(f"{root}book/{lang}/") for u in r["sidebar"]), r["name"]
        assert r["searchAction"] == [root + ("search.html" if lang == "ko" else "search-en.html")], r["name"]
        assert r["searchIndex"] == [f"{root}searchindex-{lang}.js"], r["name"]
        checked += 1
    assert checked >= 20


def _search(page, root, query, search_page="search.html"):
    page.goto(f"{root}{search_page}?q={query}", wait_until="load")
    # the summary line is written when every result is listed
    page.wait_for_function("() => { const s = document.querySelector('#search-results p.search-summary');"
                           " return s && s.textContent.trim().length > 0; }")
    hits = page.eval_on_selector_all("ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    return {re.sub(r"\.html.*$", "", h) for h in hits}


@pytest.mark.parametrize("query", ["고정효과", "임의 효과", "분산성분을", "shrinkage", "random effects"])
def test_the_javascript_splits_and_stems_like_python(crawl, browser_page, query):
    _, page = browser_page
    spec = importlib.util.spec_from_file_location("kosearch", ROOT / "book" / "_ext" / "kosearch.py")
    kosearch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kosearch)
    language = kosearch.SearchKorean({})
    page.goto(crawl["root"] + "search.html", wait_until="load")
    js = page.evaluate("q => { const s = new Stemmer(); return splitQuery(q).map(t => s.stemWord(t.toLowerCase())); }",
                       query)
    assert js == [language.stem(t.lower()) for t in kosearch.query_terms(query)]


def test_the_search_page_finds_korean_and_english_terms(crawl, browser_page):
    _, page = browser_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    korean = _search(page, crawl["root"], "고정효과")
    assert {"book/ko/01_fixed_random", "book/ko/98_glossary"} <= korean, korean
    assert all(h.startswith("book/ko/") for h in korean), korean
    korean_stem = _search(page, crawl["root"], "효과")  # 효과를, 효과와 in the text
    assert "book/ko/01_fixed_random" in korean_stem and all(h.startswith("book/ko/") for h in korean_stem)
    english = _search(page, crawl["root"], "shrinkage", "search-en.html")
    assert {"book/en/01_fixed_random", "book/en/98_glossary"} <= english, english
    assert all(h.startswith("book/en/") for h in english), english
    stemmed = _search(page, crawl["root"], "estimating", "search-en.html")
    assert stemmed and all(h.startswith("book/en/") for h in stemmed)
    from_korean = _search(page, crawl["root"], "shrinkage")  # English word, Korean edition
    assert from_korean and all(h.startswith("book/ko/") for h in from_korean)
    # Over file:// the search page cannot fetch() the result pages for their text summaries
    # ("Failed to fetch"): Sphinx's searchtools.js, the same for every reader who opens the
    # book from disk; the results themselves are listed.
    assert not [e for e in errors if not _allowed(e) and e != "Failed to fetch"]


def test_an_english_page_shows_no_korean_outside_code(crawl):
    """Its prose, titles, buttons and dropdown hints are English (code cells are the same in both editions)."""
    english = [r for r in crawl["pages"].values() if r["name"].startswith("book/en/")]
    assert len(english) >= 20
    for r in english:
        if r["name"] != "book/en/98_glossary":  # the glossary gives each term in both languages
            assert not r["hangul"], f"{r['name']}: {r['hangul']}"
        assert all(not re.search("[\uac00-\ud7a3]", hint) for hint in r["toggleHints"]), (r["name"], r["toggleHints"])


def test_the_dropdown_hints_speak_the_page_language(crawl):
    hints = {lang: {h for r in crawl["pages"].values() if r["name"].startswith(f"book/{lang}/") for h in r["toggleHints"]}
             for lang in ("ko", "en")}
    assert hints["en"] == {"Click to show"} and hints["ko"] == {"표시하려면 클릭"}, hints
