"""The built book's search finds Korean and English terms as a reader types them.

``book/_ext/kosearch.py`` indexes Hangul as syllables and syllable pairs and
Latin words by their Porter stem.  These tests read the BUILT ``searchindex.js``
and look terms up the way Sphinx's ``searchtools.js`` does
(``Search._parseQuery`` then ``Search.performTermsSearch``): split the query,
drop stop words and bare numbers, stem each term, look each term up in
``terms`` and ``titleterms`` (with substring matches for terms longer than two
characters that are not in the index), and keep the pages that have every term.
``tests/test_browser.py`` checks that the JavaScript splitter and stemmer give
the same terms as Python, and runs real queries on the two search pages.

Each edition has its own index (``book/_ext/langswitch.py``): ``searchindex-ko.js`` holds the
Korean pages only, ``searchindex-en.js`` the English ones; Korean terms are looked up in the
first, English terms in the second.
"""
import html
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("kosearch", ROOT / "book" / "_ext" / "kosearch.py")
kosearch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kosearch)
LANGUAGE = kosearch.SearchKorean({})

# Glossary terms (book/*/98_glossary.md) as a reader types them.
KOREAN_TERMS = ["효과", "고정효과", "임의효과", "분산성분", "축소", "혼합모형", "가능도", "최대가능도",
                "고정 효과"]
ENGLISH_TERMS = ["shrinkage", "random effect", "variance component", "likelihood", "fixed effect",
                 "BLUP", "REML"]


def load_index(html_root: Path) -> dict:
    text = (html_root / "searchindex.js").read_text(encoding="utf-8")
    assert text.startswith("Search.setIndex(") and text.rstrip().endswith(")")
    return json.loads(text[len("Search.setIndex("):text.rstrip().rindex(")")])


def parse_query(query: str) -> set[str]:
    """``Search._parseQuery``: the terms the JavaScript searches for."""
    terms = set()
    for term in kosearch.query_terms(query.strip()):  # splitQuery (same code in JS: test_browser.py)
        lower = term.lower()
        if lower in LANGUAGE.stopwords or re.fullmatch(r"\d+", term):
            continue
        terms.add(LANGUAGE.stem(lower))  # Stemmer.stemWord
    return terms


def search(index: dict, query: str) -> set[str]:
    """``Search.performTermsSearch``: docnames of the pages that contain every term."""
    terms = parse_query(query)
    found: dict[int, set[str]] = {}
    for word in terms:
        files = []
        for table in (index["terms"], index["titleterms"]):
            hits = [table[word]] if word in table else []
            if len(word) > 2 and word not in table:  # partial matches
                hits += [v for k, v in table.items() if re.search(re.escape(word), k)]
            for hit in hits:
                files.extend(hit if isinstance(hit, list) else [hit])
        for f in files:
            found.setdefault(f, set()).add(word)
    long_terms = len([t for t in terms if len(t) > 2])
    return {index["docnames"][f] for f, words in found.items()
            if len(words) == len(terms) or len(words) == long_terms}


def page_text(html_root: Path, docname: str) -> str:
    """The visible text of a page's article, whitespace collapsed."""
    page = (html_root / f"{docname}.html").read_text(encoding="utf-8")
    match = re.search(r'<article class="bd-article">(.*?)</article>', page, re.S)
    if match is None:  # the root index.html only redirects
        return ""
    article = match.group(1)
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    article = re.sub(r'<p class="lang-switch">.*?</p>', " ", article, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", article)))


def load_edition_index(html_root: Path, lang: str) -> dict:
    text = (html_root / f"searchindex-{lang}.js").read_text(encoding="utf-8")
    return json.loads(text[len("Search.setIndex("):text.rstrip().rindex(")")])


@pytest.fixture(scope="module")
def indexes(built_book):
    return {lang: load_edition_index(built_book, lang) for lang in ("ko", "en")}


@pytest.fixture(scope="module")
def index(indexes):
    """The Korean edition's index (Korean terms are searched from Korean pages)."""
    return indexes["ko"]


@pytest.fixture(scope="module")
def texts(built_book, indexes):
    return {doc: page_text(built_book, doc) for lang in indexes for doc in indexes[lang]["docnames"]}


def test_each_edition_index_holds_exactly_its_pages(built_book, indexes):
    whole = load_index(built_book)
    for lang, index in indexes.items():
        own = sorted(d for d in whole["docnames"] if d.startswith(f"book/{lang}/"))
        assert sorted(index["docnames"]) == own and own
        for table in ("terms", "titleterms"):
            for docs in index[table].values():
                assert all(0 <= d < len(own) for d in (docs if isinstance(docs, list) else [docs]))


def test_a_search_from_one_edition_finds_only_its_pages(indexes):
    """고정효과 from a Korean page, shrinkage from an English page: no page of the other language."""
    for lang, query in (("ko", "고정효과"), ("ko", "shrinkage"), ("en", "shrinkage"), ("en", "effects")):
        found = search(indexes[lang], query)
        assert found and all(d.startswith(f"book/{lang}/") for d in found), (lang, query, found)


def test_the_book_uses_the_korean_search_language(built_book):
    language_data = (built_book / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "function splitQuery" in language_data and "var PorterStemmer" in language_data


def test_korean_words_are_indexed_without_their_particles(index):
    """효과를, 효과와 in the text: the key 효과 is in the index (plain Sphinx has only 효과를...)."""
    assert "효과" in index["terms"] or "효과" in index["titleterms"]
    assert not any(len(k) > 2 and kosearch.is_hangul(k) for k in index["terms"])


@pytest.mark.parametrize("term", KOREAN_TERMS)
def test_a_korean_term_finds_every_page_that_uses_it(index, texts, term):
    texts = {doc: text for doc, text in texts.items() if doc in index["docnames"]}
    used_in = {doc for doc, text in texts.items() if term in text}
    if term == "고정 효과":  # spaces in a query do not matter
        used_in = {doc for doc, text in texts.items() if "고정효과" in text or "고정 효과" in text}
    assert "book/ko/98_glossary" in used_in or term in {"효과", "고정 효과"}
    found = search(index, term)
    assert used_in, term
    assert used_in <= found, f"{term}: not found on {sorted(used_in - found)}"
    if len(term) == 2:  # a single syllable pair: exactly the pages that contain it
        assert found == used_in


@pytest.mark.parametrize("term", ENGLISH_TERMS)
def test_an_english_term_finds_every_page_that_uses_it(indexes, texts, term):
    index = indexes["en"]
    used_in = {doc for doc, text in texts.items()
               if doc in index["docnames"] and re.search(rf"\b{re.escape(term)}", text, flags=re.I)}
    assert "book/en/98_glossary" in used_in
    found = search(index, term)
    assert used_in <= found, f"{term}: not found on {sorted(used_in - found)}"


def test_english_words_are_stemmed(indexes):
    """Porter stemming for Latin words, as in Sphinx's English search."""
    assert parse_query("random effects") == {"random", "effect"}
    assert search(indexes["en"], "effects") == search(indexes["en"], "effect")
    assert search(indexes["en"], "estimating") == search(indexes["en"], "estimate")


def test_a_query_needs_every_term(index, texts):
    """AND of terms: 축소 가능도 finds only pages with both (fewer than either alone)."""
    both = search(index, "축소 가능도")
    assert both == search(index, "축소") & search(index, "가능도")
    assert all("축소" in texts[d] and "가능도" in texts[d] for d in both)


def test_a_word_not_in_the_book_finds_nothing(indexes):
    for index in indexes.values():
        assert search(index, "존재하지않는낱말") == set()
        assert search(index, "zyxwvut") == set()


def test_splitting_indexes_syllables_and_pairs_and_splits_scripts():
    assert kosearch.index_terms("효과를") == ["효", "과", "를", "효과", "과를"]
    assert kosearch.index_terms("BLUP은 (shrinkage)") == ["BLUP", "은", "shrinkage"]
    assert kosearch.index_terms("shrinkage_factor __init__") == ["shrinkage_factor", "shrinkage", "factor", "__init__"]
    assert kosearch.query_terms("고정 효과") == ["고정", "효과"]
    assert kosearch.query_terms("값") == ["값"]
