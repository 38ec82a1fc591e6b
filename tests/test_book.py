"""The built book: it builds with warnings as errors, and its pages link and render."""
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGES = sorted(f"{lang}/{p.stem}" for lang in ("ko", "en") for p in (BOOK / lang).glob("*.*")
               if p.suffix in {".ipynb", ".md"})
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def toc_files(lang: str, numbered: bool | None = None) -> list[str]:
    """The language's pages in the order of _toc.yml (only its numbered parts if ``numbered``)."""
    return [c["file"].split("/")[-1] for part in TOC["parts"] for c in part["chapters"]
            if c["file"].startswith(f"book/{lang}/") and (numbered is None or bool(part.get("numbered")) == numbered)]


def chapter_number(name: str) -> int:
    return toc_files("ko", numbered=True).index(name) + 1


def declares_edition(name: str) -> bool:
    cells = json.loads((BOOK / "ko" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return any("use_language(" in (c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
               for c in cells if c["cell_type"] == "code")


def read(html_root, page):
    return (html_root / "book" / f"{page}.html").read_text(encoding="utf-8")


def test_the_build_executes_no_notebook_nbval_ran(book_execution):
    """Each notebook is executed once per test run: the -W build takes nbval's outputs from the cache."""
    notebooks = sorted(BOOK.glob("[a-z][a-z]/*.ipynb"))
    seeded = book_execution["seeded"]
    if not seeded:
        pytest.skip("nbval ran no notebook in this session, so the build executed them itself")
    assert set(seeded) <= {p.resolve() for p in notebooks}
    assert len(book_execution["executed"]) <= len(notebooks) - len(seeded)


def test_every_page_is_built(built_book):
    for page in PAGES:
        assert (built_book / "book" / f"{page}.html").is_file(), page


@pytest.mark.parametrize("page", PAGES)
def test_language_link_goes_to_the_counterpart_and_back(built_book, page):
    lang, name = page.split("/")
    other = "en" if lang == "ko" else "ko"
    links = re.findall(r'class="reference internal lang-switch-link"[^>]*href="([^"]+)"', read(built_book, page))
    assert links == [f"../{other}/{name}.html"]
    back = re.findall(r'lang-switch-link"[^>]*href="([^"]+)"', read(built_book, f"{other}/{name}"))
    assert back == [f"../{lang}/{name}.html"]


def test_math_is_served_from_the_site_itself(built_book):
    html = read(built_book, "ko/01_fixed_random")
    scripts = [s.split("?")[0] for s in re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', html, flags=re.I)]
    assert scripts == ["../../_static/mathjax/es5/tex-mml-chtml.js"]
    assert (built_book / "_static" / "mathjax" / "es5" / "tex-mml-chtml.js").is_file()


def test_no_page_loads_anything_from_another_host(built_book):
    for path in built_book.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//[^"]+"', html)
        assert not remote, f"{path.name} loads from another host"


@pytest.mark.parametrize("page", [p for p in PAGES if (BOOK / f"{p}.ipynb").exists()])
def test_every_figure_of_a_chapter_exists(built_book, page):
    html_path = built_book / "book" / f"{page}.html"
    for src in re.findall(r'<img[^>]+src="([^"]+)"', html_path.read_text(encoding="utf-8")):
        assert (html_path.parent / src).resolve().is_file(), src


@pytest.mark.parametrize("name", sorted(p.stem for p in (BOOK / "ko").glob("*.ipynb")))
def test_both_editions_number_their_equations_alike_from_the_chapter_number(built_book, name):
    """Each edition counts equations on its own: en chapter 1 starts at (1.1), like ko."""
    numbers = {lang: re.findall(r'<span class="eqno">\((\d+\.\d+)\)', read(built_book, f"{lang}/{name}"))
               for lang in ("ko", "en")}
    assert numbers["ko"] == numbers["en"]
    if name not in toc_files("ko", numbered=True):
        assert not numbers["en"]
        return
    chapter = str(chapter_number(name))
    assert all(n.split(".")[0] == chapter for n in numbers["en"])
    assert [n.split(".")[1] for n in numbers["en"]] == [str(i) for i in range(1, len(numbers["en"]) + 1)]


@pytest.mark.parametrize("page", PAGES)
def test_each_page_declares_its_own_language_and_its_theme_speaks_it(built_book, page):
    """<html lang> follows the edition; an English page's search box does not read 검색."""
    lang = page.split("/")[0]
    html = read(built_book, page)
    assert re.search(r'<html[^>]* lang="([a-z]+)"', html).group(1) == lang
    search_label = re.search(r'<span class="search-button__default-text">([^<]+)</span>', html).group(1)
    assert search_label.strip() == ("검색" if lang == "ko" else "Search")


# ------------------------------------------------------------------------------------------
# Each edition reads as one book
# ------------------------------------------------------------------------------------------
def sidebar_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="bd-links bd-docs-nav".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a class="[^"]*reference internal[^"]*" href="([^"#]*)', nav)


@pytest.mark.parametrize("page", PAGES)
def test_the_sidebar_lists_only_the_pages_own_edition(built_book, page):
    """Every page of the language in the toc order, no page of the other one, no language in the captions."""
    lang, name = page.split("/")
    html = read(built_book, page)
    links = [re.sub(r"\.html$", "", link) or name for link in sidebar_links(html)]
    assert links == toc_files(lang), links
    captions = re.findall(r'<span class="caption-text">([^<]+)</span>', html)
    assert captions and not any(w in c for c in captions for w in ("한국어", "English", "·"))
    assert re.search(r'class="title logo__title">([^<]+)<', html).group(1).strip() == \
        {"ko": "선형 혼합효과 모형", "en": "Linear Mixed-Effects Models"}[lang]


@pytest.mark.parametrize("page", PAGES)
def test_previous_and_next_stay_in_the_edition(built_book, page):
    lang, name = page.split("/")
    order = toc_files(lang)
    html = read(built_book, page)
    prev = re.findall(r'<a class="left-prev"\s+href="([^"]+)"', html)
    nxt = re.findall(r'<a class="right-next"\s+href="([^"]+)"', html)
    i = order.index(name)
    assert prev == ([f"{order[i - 1]}.html"] if i > 0 else [])
    assert nxt == ([f"{order[i + 1]}.html"] if i + 1 < len(order) else [])


@pytest.mark.parametrize("page", PAGES)
def test_the_search_box_searches_the_edition(built_book, page):
    lang = page.split("/")[0]
    html = read(built_book, page)
    actions = set(re.findall(r'<form class="bd-search[^"]*"\s+action="([^"]+)"', html))
    assert actions == {"../../search.html" if lang == "ko" else "../../search-en.html"}
    assert re.findall(r'<script src="\.\./\.\./(searchindex[^"]*\.js)"', html) == [f"searchindex-{lang}.js"]


def test_each_search_page_speaks_and_loads_its_edition(built_book):
    for name, lang in (("search", "ko"), ("search-en", "en")):
        html = (built_book / f"{name}.html").read_text(encoding="utf-8")
        assert re.search(r'<html[^>]* lang="([a-z]+)"', html).group(1) == lang
        assert re.findall(r'<script src="(searchindex[^"]*\.js)"', html) == [f"searchindex-{lang}.js"]
        links = [re.sub(r"\.html$", "", link) for link in sidebar_links(html)]
        assert links and all(link.startswith(f"book/{lang}/") for link in links)


NUMBERED = toc_files("ko", numbered=True)


@pytest.mark.parametrize("name", [n for n in NUMBERED if (BOOK / "ko" / f"{n}.ipynb").exists() and declares_edition(n)])
def test_figures_have_numbered_captions_and_differ_between_editions(built_book, name):
    """A chapter that declares its edition: every figure is a numbered <figure>, its image drawn per language."""
    images, captions = {}, {}
    for lang, word in (("ko", "그림"), ("en", "Fig.")):
        html = read(built_book, f"{lang}/{name}")
        figures = re.findall(r'<figure class="[^"]*".*?</figure>', html, re.S)
        captions[lang] = [re.search(r'<span class="caption-number">([^<]+)</span>', f).group(1).strip() for f in figures]
        assert captions[lang] == [f"{word} {chapter_number(name)}.{k}" for k in range(1, len(figures) + 1)]
        images[lang] = [hashlib.sha256((built_book / "book" / lang / re.search(r'<img[^>]+src="([^"]+)"', f).group(1))
                                       .read_bytes()).hexdigest() for f in figures]
    assert len(images["ko"]) == len(images["en"]) > 0
    assert all(a != b for a, b in zip(images["ko"], images["en"]))
