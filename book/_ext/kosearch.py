"""Sphinx extension: a search language for Korean text that also stems English.

Sphinx has no Korean splitter, so Korean words are indexed with their particles
attached (효과를, 효과와) and a search for 효과 finds nothing.  Korean has no
spaces inside compounds either (고정효과, 임의효과), so stripping particles would
still miss 효과 in 고정효과.  This language indexes Hangul the way CJK search
engines do, by character n-grams:

- indexing (Python, :meth:`SearchKorean.split`): every run of Hangul syllables
  gives its syllables and its overlapping syllable pairs, so 고정효과를 gives
  고, 정, 효, 과, 를, 고정, 정효, 효과, 과를;
- querying (JavaScript ``splitQuery``): a Hangul run of one syllable is looked up
  as that syllable, a longer run as its pairs (고정효과 -> 고정, 정효, 효과), and
  Sphinx's search keeps the pages that contain every pair.  Spaces in a query do
  not matter: 고정 효과 finds the same pages as 고정효과.

Latin words (English pages share the one search index) are split off Hangul
(``BLUP은`` -> ``BLUP``, ``은``) and stemmed with the Porter stemmer, in Python
and JavaScript alike, exactly as Sphinx's English search does.  The book's code
names come from its text, so an identifier is indexed whole and by its parts
(``shrinkage_factor``, ``shrinkage``, ``factor``): searching shrinkage also finds
the pages that call ``shrinkage_factor``.

Known limit, from Sphinx's ``searchtools.js``: in a query that mixes a Latin
word of three or more letters with Hangul, Sphinx requires only the longer
terms, so ``BLUP 축소`` also lists pages with BLUP alone (ranked the same).
Queries in one script are an AND of their terms.
"""
from __future__ import annotations

import re
from typing import Any

import snowballstemmer
from sphinx.application import Sphinx
from sphinx.search import SearchLanguage
from sphinx.search.en import english_stopwords, js_porter_stemmer

#: Hangul syllables, Hangul Jamo and compatibility Jamo.
HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
_WORD = re.compile(r"\w+")
_SCRIPT = re.compile(f"[{HANGUL}]+|[^{HANGUL}]+")
_IS_HANGUL = re.compile(f"[{HANGUL}]")


def is_hangul(token: str) -> bool:
    return bool(_IS_HANGUL.match(token))


def index_terms(text: str) -> list[str]:
    """Split text for the index: Latin words whole, Hangul runs as 1- and 2-grams.

    >>> index_terms("고정효과를 BLUP은 shrinkage_factor")
    ['고', '정', '효', '과', '를', '고정', '정효', '효과', '과를', 'BLUP', '은', 'shrinkage_factor', 'shrinkage', 'factor']
    """
    out: list[str] = []
    for word in _WORD.findall(text):
        for run in _SCRIPT.findall(word):
            if is_hangul(run):
                out.extend(run)
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
            else:
                out.append(run)
                if "_" in run.strip("_"):  # shrinkage_factor: also shrinkage, factor
                    out.extend(part for part in run.split("_") if part)
    return out


def query_terms(query: str) -> list[str]:
    """Split a query as the JavaScript ``splitQuery`` below does.

    >>> query_terms("고정효과 shrinkage 값")
    ['고정', '정효', '효과', 'shrinkage', '값']
    """
    out: list[str] = []
    for word in _WORD.findall(query):
        for run in _SCRIPT.findall(word):
            if is_hangul(run) and len(run) > 1:
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
            else:
                out.append(run)
    return out


JS_SPLITTER = r"""
/* Korean + English query splitter (book/_ext/kosearch.py: query_terms). */
function splitQuery(query) {
  const hangulRun = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]+|[^\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]+/g;
  const isHangul = /^[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;
  const out = [];
  const words = query.split(/[^\p{Letter}\p{Number}_]+/u).filter((w) => w);
  for (const word of words) {
    for (const run of word.match(hangulRun) || []) {
      if (isHangul.test(run) && run.length > 1) {
        for (let i = 0; i + 1 < run.length; i++) out.push(run.substring(i, i + 2));
      } else {
        out.push(run);
      }
    }
  }
  return out;
}
"""

JS_STEMMER = js_porter_stemmer.replace("var Stemmer = function", "var PorterStemmer = function", 1) + r"""
/* Hangul terms are n-grams already; Latin words get the Porter stem. */
var Stemmer = function() {
  const porter = new PorterStemmer();
  const isHangul = /^[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;
  this.stemWord = function(w) {
    return isHangul.test(w) ? w : porter.stemWord(w);
  };
};
"""


class SearchKorean(SearchLanguage):
    """Korean (Hangul n-grams) with English (Porter) for Latin words."""

    lang = "ko"
    language_name = "Korean"
    stopwords = english_stopwords
    js_splitter_code = JS_SPLITTER
    js_stemmer_code = JS_STEMMER

    def init(self, options: dict[str, str]) -> None:
        self.stemmer = snowballstemmer.stemmer("porter")

    def split(self, input: str) -> list[str]:
        return index_terms(input)

    def stem(self, word: str) -> str:
        if is_hangul(word):
            return word
        return self.stemmer.stemWord(word.lower())

    def word_filter(self, word: str) -> bool:
        return bool(word) and (is_hangul(word) or word not in self.stopwords)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
