"""The built book: it builds with warnings as errors, and its pages link and render."""
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
PAGES = sorted(f"{lang}/{p.stem}" for lang in ("ko", "en") for p in (BOOK / lang).glob("*.*")
               if p.suffix in {".ipynb", ".md"})


def read(html_root, page):
    return (html_root / "book" / f"{page}.html").read_text(encoding="utf-8")


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
    chapter = str(int(name[:2]))
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
