"""Sphinx extension for a book with one Korean and one English edition.

Pages live at ``book/ko/<name>`` and ``book/en/<name>``.

- On each such page a link to its counterpart is inserted at the top of the
  body.  A page whose counterpart is missing is a build warning (an error
  under ``-W``).
- Both editions have a numbered toctree whose chapters start at 1.  Sphinx
  counts equations and figures per section number across the whole project,
  so the English chapter 1 would continue the Korean chapter 1's equation
  numbers.  After Sphinx assigns numbers, they are counted again per edition.
- The book's ``language`` is Korean, so labels that extensions translate
  (sphinx-proof's "정리", sphinx-exercise's "연습문제") would read Korean on
  English pages too.  While an English page is read and written, every
  message catalog is switched off, so those labels come out in English; its
  theme (the search box, the buttons) is rendered without the Korean catalog
  and its ``<html lang>`` is ``en``.  The switch is made before a page's
  references are resolved (a post-transform that runs first), so "Theorem 2.1"
  does not depend on the order in which pages are written.
- Labels: on Korean pages an exercise is "연습문제 N.M" (sphinx-exercise's
  catalog says "연습"), its solution is headed "연습문제 N.M 해답", and a proof
  starts "증명." (sphinx-proof writes "Proof." in every language).  A reference
  to a numbered theorem or exercise always reads "<label> <number>" in the
  page's language: a custom title without a number ("{ref}`연습문제 <label>`")
  gets the number, and a label the author wrote just before the reference
  ("Theorem {prf:ref}`...`", "연습문제 {ref}`...`") is dropped, so the page
  never reads "Theorem Theorem 2.1" or "연습문제 연습 5.1".
- Each edition reads as one book: on a Korean page the sidebar lists only the
  Korean parts (captions without the language: "본문", "부록"), its home link
  and the logo go to the Korean preface, previous/next never cross into the
  other edition, and the search box searches the Korean pages only (the same
  for English).  Search: Sphinx writes one index of every page
  (``searchindex.js``); after the build it is split into ``searchindex-ko.js``
  and ``searchindex-en.js`` (each edition's pages only), and an English search
  page ``search-en.html`` is written beside the Korean ``search.html``.  Every
  page loads its edition's index, and its search box goes to its edition's
  search page.  Both indexes use the book's search language
  (``kosearch``: Hangul n-grams, Porter stems for Latin words).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gettext import NullTranslations

from docutils import nodes
from sphinx import locale
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

LANGS = {"ko": ("en", "English"), "en": ("ko", "한국어")}
PREFIX = "book/"


def counterpart(pagename: str) -> tuple[str, str] | None:
    """Return (other page name, link text) for a language page, else None."""
    if not pagename.startswith(PREFIX):
        return None
    lang, _, rest = pagename[len(PREFIX):].partition("/")
    if lang not in LANGS or not rest:
        return None
    other, label = LANGS[lang]
    return f"{PREFIX}{other}/{rest}", label


def add_switch(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    target = counterpart(pagename)
    if target is None or "body" not in context:
        return
    other, label = target
    if other not in app.env.found_docs:
        logger.warning("page %s has no counterpart %s in the other language", pagename, other)
        return
    uri = app.builder.get_relative_uri(pagename, other)
    lang = other.split("/")[1]
    slides = ""
    if has_deck(app, pagename):
        deck = app.builder.get_relative_uri(pagename, deck_name(pagename))
        slides = f'<a class="slides-link" href="{deck}">{SLIDES_WORD[edition(pagename)]}</a> '
    context["body"] = (
        f'<p class="lang-switch">{slides}<a class="reference internal lang-switch-link" '
        f'hreflang="{lang}" lang="{lang}" href="{uri}">{label}</a></p>\n' + context["body"]
    )
    if rest_of(pagename) == PREFACE:
        context["body"] += preface_slides(app, pagename)


# Lecture slides (tools/slides.py writes slides/<lang>/<chapter>.html beside the book's pages)
SLIDES_WORD = {"ko": "슬라이드", "en": "Slides"}
PREFACE = "00_intro"
PREFACE_TEXT = {
    "ko": ("강의 슬라이드", "각 장의 강의 슬라이드는 그 장의 핵심 식, 정리, 그림, 강의에서 실행할 코드를 모은 reveal.js "
           "발표 자료다. 발표자 노트는 S 키를 누르면 열린다. 모든 장의 목록: "),
    "en": ("Lecture slides", "Each chapter has a reveal.js deck cut from the chapter itself: its key equations, "
           "theorems, figures and the code to run in class, with speaker notes (press S). All decks: "),
}


def rest_of(pagename: str) -> str:
    return pagename[len(PREFIX):].partition("/")[2] if edition(pagename) else ""


def deck_name(pagename: str) -> str:
    return f"slides/{edition(pagename)}/{rest_of(pagename)}"


def has_deck(app: Sphinx, pagename: str) -> bool:
    """A numbered chapter written as a notebook has a deck."""
    if not edition(pagename) or not app.env.toc_secnumbers.get(pagename):
        return False
    return str(app.env.doc2path(pagename)).endswith(".ipynb")


def preface_slides(app: Sphinx, pagename: str) -> str:
    lang = edition(pagename)
    heading, text = PREFACE_TEXT[lang]
    items = []
    for doc in edition_pages(app, lang):
        if has_deck(app, doc):
            number = ".".join(map(str, next(iter(app.env.toc_secnumbers[doc].values()), ())))
            title = app.env.titles[doc].astext()
            items.append(f'<li><a class="slides-link" href="{app.builder.get_relative_uri(pagename, deck_name(doc))}">'
                         f'{number}. {title}</a></li>')
    index = app.builder.get_relative_uri(pagename, "slides/index")
    return (f'<section id="lecture-slides"><h2>{heading}</h2><p>{text}<a href="{index}">slides/index.html</a></p>'
            f'<ul class="slides-list">{"".join(items)}</ul></section>')


CSS = """
.lang-switch { text-align: right; margin: 0 0 0.5em 0; }
.lang-switch a { border: 1px solid var(--pst-color-border, #ccc); border-radius: 4px; padding: 0.15em 0.6em; }
.lang-switch a.slides-link { margin-right: 0.4em; }
"""


def add_css(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    context.setdefault("metatags", "")
    context["metatags"] += f"\n<style>{CSS}</style>"


def edition(docname: str) -> str:
    """``ko`` or ``en`` for a language page, ``""`` for the shared root page."""
    lang = docname[len(PREFIX):].partition("/")[0] if docname.startswith(PREFIX) else ""
    return lang if lang in LANGS else ""


def context_edition(pagename: str, context: dict[str, Any]) -> str:
    """The edition a rendered page belongs to.

    ``search.html`` is the search page of the book's language (Korean); ``search-en.html`` is
    rendered as ``search`` too, with ``lmm_edition = "en"`` in its context.
    """
    if pagename == "search":
        return context.get("lmm_edition") or ("ko" if (context.get("language") or "ko").startswith("ko") else "en")
    return edition(pagename)


# ------------------------------------------------------------------------------------------
# Each edition reads as one book: sidebar, home link, previous/next, search
# ------------------------------------------------------------------------------------------
TITLES = {"ko": "선형 혼합효과 모형", "en": "Linear Mixed-Effects Models"}
SEARCH_PAGES = {"ko": "search", "en": "search-en"}
INDEXES = {"ko": "searchindex-ko.js", "en": "searchindex-en.js"}


def edition_pages(app: Sphinx, lang: str) -> list[str]:
    """The edition's pages in reading order (the root toctree's order)."""
    return [d for d in app.env.toctree_includes.get(app.config.root_doc, []) if edition(d) == lang]


def edition_home(app: Sphinx, lang: str) -> str:
    pages = edition_pages(app, lang)
    return pages[0] if pages else app.config.root_doc


def _filter_sidebar(html: str, lang: str, home: str, builder: Any, pagename: str) -> str:
    """Keep the parts of one edition; drop the language from their captions and the home page entry."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    home_uri = builder.get_relative_uri(pagename, home)
    for caption in soup.find_all("p", class_="caption"):
        toclist = caption.find_next_sibling("ul")
        links = [a.get("href", "") for a in toclist.find_all("a")] if toclist else []
        pages = [_page_of(href, pagename, builder) for href in links]
        if not pages or any(edition(p) != lang for p in pages if p):
            caption.decompose()
            if toclist is not None:
                toclist.decompose()
            continue
        text = caption.find(class_="caption-text") or caption
        words = text.get_text()
        if "·" in words:
            text.string = words.split("·", 1)[1].strip()
        for a in toclist.find_all("a"):
            if a.get("href", "").split("#")[0] == home_uri:
                li = a.find_parent("li")
                (li or a).decompose()
        if not toclist.find("a"):  # the part held only the home page
            caption.decompose()
            toclist.decompose()
    return str(soup)


def _page_of(href: str, pagename: str, builder: Any) -> str:
    """The docname an href of the sidebar points to (relative to ``pagename``), or ""."""
    import posixpath

    target = href.split("#")[0]
    if not target.endswith(".html") or "://" in target:
        return ""
    base = posixpath.dirname(pagename)
    return posixpath.normpath(posixpath.join(base, target))[: -len(".html")]


def one_edition_navigation(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                           doctree: Any) -> None:
    """Sidebar, home link, logo title and previous/next of a page stay inside its edition."""
    lang = context_edition(pagename, context)
    if not lang:
        return
    home = edition_home(app, lang)
    context["root_doc"] = home
    context["docstitle"] = TITLES[lang]
    if home in app.env.titles:
        context["root_title"] = app.env.titles[home].astext()
    for key in ("prev", "next"):
        link = context.get(key)
        if link and edition(_page_of(link.get("link", ""), pagename, app.builder)) != lang:
            context[key] = None
    generate = context.get("generate_toctree_html")
    if generate is not None and not getattr(generate, "lmm_filtered", False):
        def generate_edition_toctree(kind: str, *args: Any, **kwargs: Any) -> Any:
            html = generate(kind, *args, **kwargs)
            if kind != "sidebar":
                return html
            return _filter_sidebar(str(html), lang, home, app.builder, pagename)
        generate_edition_toctree.lmm_filtered = True
        context["generate_toctree_html"] = generate_edition_toctree
    pathto = context.get("pathto")
    if pathto is not None and not getattr(pathto, "lmm_edition", False):
        def edition_pathto(otheruri: str, resource: bool = False, baseuri: str | None = None) -> str:
            if not resource and otheruri == "search":
                return app.builder.get_relative_uri(pagename, SEARCH_PAGES[lang])
            if resource and otheruri == "searchindex.js":
                otheruri = INDEXES[lang]
            return pathto(otheruri, resource, baseuri) if baseuri is not None else pathto(otheruri, resource)
        edition_pathto.lmm_edition = True
        context["pathto"] = edition_pathto


def english_search_page(app: Sphinx) -> list:
    """Write ``search-en.html``: the search page of the English edition (rendered as ``search``)."""
    builder = app.builder
    if getattr(builder, "search", False) and builder.format == "html":
        out = str(Path(builder.outdir) / f"{SEARCH_PAGES['en']}{builder.out_suffix}")
        builder.handle_page("search", {"lmm_edition": "en"}, "search.html", outfilename=out)
    return []


def split_search_index(app: Sphinx, exception: Exception | None) -> None:
    """Write one search index per edition from Sphinx's index of every page."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    whole = Path(app.builder.outdir) / "searchindex.js"
    if not whole.exists():
        return
    text = whole.read_text(encoding="utf-8")
    index = json.loads(text[len("Search.setIndex("):text.rstrip().rindex(")")])
    for lang, name in INDEXES.items():
        part = edition_index(index, lambda doc, lang=lang: edition(doc) == lang)
        (Path(app.builder.outdir) / name).write_text(
            "Search.setIndex(" + json.dumps(part, ensure_ascii=False, separators=(",", ":")) + ")",
            encoding="utf-8")


def edition_index(index: dict[str, Any], keep: Any) -> dict[str, Any]:
    """The part of a frozen Sphinx search index that covers the pages ``keep(docname)`` accepts.

    >>> whole = {"docnames": ["a/x", "b/y"], "filenames": ["a/x.md", "b/y.md"], "titles": ["X", "Y"],
    ...          "terms": {"t": [0, 1], "u": 1}, "titleterms": {"x": 0}, "objects": {},
    ...          "objtypes": {}, "objnames": {}, "envversion": {}, "alltitles": {"Y": [[1, None]]},
    ...          "indexentries": {"e": [[1, "id", False]]}}
    >>> part = edition_index(whole, lambda d: d.startswith("b/"))
    >>> part["docnames"], part["terms"], part["titleterms"], part["alltitles"], part["indexentries"]
    (['b/y'], {'t': 0, 'u': 0}, {}, {'Y': [[0, None]]}, {'e': [[0, 'id', False]]})
    """
    kept = [i for i, d in enumerate(index["docnames"]) if keep(d)]
    new = {old: i for i, old in enumerate(kept)}
    out = dict(index)
    for key in ("docnames", "filenames", "titles"):
        out[key] = [index[key][i] for i in kept]

    def remap_terms(table: dict[str, Any]) -> dict[str, Any]:
        result = {}
        for term, docs in table.items():
            docs = [new[d] for d in (docs if isinstance(docs, list) else [docs]) if d in new]
            if docs:
                result[term] = docs[0] if len(docs) == 1 else docs
        return result

    def remap_rows(table: dict[str, Any]) -> dict[str, Any]:
        result = {}
        for key, rows in table.items():
            rows = [[new[r[0]], *r[1:]] for r in rows if r[0] in new]
            if rows:
                result[key] = rows
        return result

    out["terms"] = remap_terms(index["terms"])
    out["titleterms"] = remap_terms(index["titleterms"])
    out["alltitles"] = remap_rows(index.get("alltitles", {}))
    out["indexentries"] = remap_rows(index.get("indexentries", {}))
    out["objects"] = {prefix: [[new[r[0]], *r[1:]] for r in rows if r[0] in new]
                      for prefix, rows in index.get("objects", {}).items()}
    out["objects"] = {k: v for k, v in out["objects"].items() if v}
    return out


def renumber_per_edition(app: Sphinx, env: Any) -> list[str]:
    """Count equations and figures separately in each edition (runs after Sphinx's own count)."""
    depth = env.config.numfig_secnum_depth
    counters: dict[tuple[str, str, tuple[int, ...]], int] = {}
    changed = []
    for docname, by_type in env.toc_fignumbers.items():
        for figtype, numbers in by_type.items():
            for fig_id, number in numbers.items():
                key = (edition(docname), figtype, tuple(number[:-1])[:depth])
                counters[key] = counters.get(key, 0) + 1
                new = (*key[2], counters[key])
                if new != tuple(number):
                    numbers[fig_id] = new
                    changed.append(docname)
    return sorted(set(changed))


_KOREAN_CATALOGS: dict[Any, Any] = {}
_KOREAN_NUMFIG: dict[str, str] = {}
ENGLISH_NUMFIG = {"section": "Section %s", "figure": "Fig. %s", "table": "Table %s",
                  "code-block": "Listing %s", "exercise": "Exercise %s"}


def use_edition_language(app: Sphinx, docname: str) -> None:
    """Translate extension labels and caption numbers into Korean on Korean pages only."""
    if not _KOREAN_CATALOGS:
        _KOREAN_CATALOGS.update(locale.translators)
        _KOREAN_NUMFIG.update(app.config.numfig_format)
    if edition(docname) == "en":
        for key in _KOREAN_CATALOGS:
            locale.translators[key] = NullTranslations()
        app.config.numfig_format.update(ENGLISH_NUMFIG)
    else:
        restore_language(app)


# Words of the Korean edition where an extension's own catalog says otherwise (or nothing).
KOREAN_MESSAGES = {"exercise": {"Exercise": "연습문제", "Solution to": "해답", "Solution": "해답"},
                   "proof": {"Proof": "증명"}}
KOREAN_NUMFIG = {"exercise": "연습문제 %s"}
# The label of each numbered kind, as a reference shows it, per edition.
LABELS = {
    "en": {"theorem": "Theorem", "lemma": "Lemma", "proposition": "Proposition", "corollary": "Corollary",
           "definition": "Definition", "remark": "Remark", "example": "Example", "algorithm": "Algorithm",
           "assumption": "Assumption", "exercise": "Exercise"},
    "ko": {"theorem": "정리", "lemma": "보조정리", "proposition": "명제", "corollary": "따름정리",
           "definition": "정의", "remark": "주의", "example": "예제", "algorithm": "알고리즘",
           "assumption": "가정", "exercise": "연습문제"},
}
# Words a writer may put before a reference that already carries its label (both editions).
LABEL_WORDS = {kind: {LABELS["en"][kind], LABELS["en"][kind].lower(), LABELS["ko"][kind]} for kind in LABELS["en"]}
LABEL_WORDS["exercise"] |= {"연습", "문제"}
PROOF_HEADS = {"ko": "증명. ", "en": "Proof. "}


class _Overrides(NullTranslations):
    """A catalog that answers a few messages itself and asks the original for the rest."""

    def __init__(self, messages: dict[str, str], fallback: Any) -> None:
        super().__init__()
        self.messages = messages
        if fallback is not None:
            self.add_fallback(fallback)

    def gettext(self, message: str) -> str:
        if message in self.messages:
            return self.messages[message]
        return super().gettext(message)


def install_korean_labels(app: Sphinx) -> None:
    """Give the extensions' catalogs the Korean edition's words (only in a Korean build)."""
    if not (app.config.language or "").startswith("ko"):
        return
    for catalog, messages in KOREAN_MESSAGES.items():
        key = ("general", catalog)
        current = locale.translators.get(key)
        if not isinstance(current, _Overrides):
            locale.translators[key] = _Overrides(messages, current)
    app.config.numfig_format.update(KOREAN_NUMFIG)


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    use_edition_language(app, docname)


def on_doctree_resolved(app: Sphinx, doctree: Any, docname: str) -> None:
    use_edition_language(app, docname)


def restore_language(app: Sphinx, *args: Any) -> None:
    locale.translators.update(_KOREAN_CATALOGS)
    app.config.numfig_format.update(_KOREAN_NUMFIG)


TOGGLE_HINTS_EN = ("\n<script>if (typeof toggleHintShow !== 'undefined') "
                   "{ toggleHintShow = 'Click to show'; toggleHintHide = 'Click to hide'; }</script>\n")


def use_page_language(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:
    """Render an English page's theme in English: ``<html lang="en">`` and no Korean catalog."""
    templates = getattr(getattr(app.builder, "templates", None), "environment", None)
    english = context_edition(pagename, context) == "en"
    if english:
        context["language"] = "en"
        if "body" in context:  # sphinx-togglebutton's hint, declared once for the project's language (ko)
            context["body"] += TOGGLE_HINTS_EN
    if templates is not None and hasattr(templates, "install_gettext_translations"):
        templates.install_gettext_translations(NullTranslations() if english else app.translator)


class EditionLanguageFirst(SphinxPostTransform):
    """Switch catalogs and caption formats to the page's edition before its references resolve."""

    default_priority = 1

    def run(self, **kwargs: Any) -> None:
        use_edition_language(self.app, self.env.docname)


def page_language(app: Sphinx, docname: str) -> str:
    lang = edition(docname)
    if lang:
        return lang
    return "ko" if (app.config.language or "").startswith("ko") else "en"


def numbered_target(env: Any, target: str) -> tuple[str, str] | None:
    """(kind, number) of a numbered theorem-like block or exercise with this label, else None."""
    proofs = getattr(env, "proof_list", {})
    if target in proofs:
        entry = proofs[target]
        if entry.get("nonumber"):
            return None
        number = env.toc_fignumbers.get(entry["docname"], {}).get(entry["countertype"], {}).get(target)
        return (entry["realtype"], ".".join(map(str, number))) if number else None
    exercises = getattr(env, "sphinx_exercise_registry", {})
    if target in exercises and exercises[target].get("type") == "exercise":
        number = env.toc_fignumbers.get(exercises[target]["docname"], {}).get("exercise", {}).get(target)
        return ("exercise", ".".join(map(str, number))) if number else None
    return None


def _set_text(ref: nodes.Element, text: str) -> None:
    first = ref.children[0] if ref.children else None
    if isinstance(first, nodes.Element) and not isinstance(first, nodes.Text):
        new = first.copy()
        new += nodes.Text(text)
        ref.children = []
        ref += new
    else:
        ref.children = []
        ref += nodes.Text(text)


class EditionLabels(SphinxPostTransform):
    """One label per reference, in the page's language, with its number; Korean proof heads.

    Runs after the references are resolved (10) and sphinx-exercise's titles (20-22).
    """

    default_priority = 100

    def run(self, **kwargs: Any) -> None:
        lang = page_language(self.app, self.env.docname)
        labels = LABELS.get(lang, LABELS["en"])
        for ref in list(self.document.findall(nodes.reference)):
            uri = ref.get("refid") or ref.get("refuri", "")
            target = uri.rpartition("#")[2] if "#" in uri or ref.get("refid") else ""
            found = numbered_target(self.env, target) if target else None
            if found is None or found[0] not in labels:
                continue
            kind, number = found
            text = ref.astext()
            words = "|".join(re.escape(w) for w in sorted(LABEL_WORDS.get(kind, ()), key=len, reverse=True))
            if not re.fullmatch(rf"\s*(?:(?:{words})\s*)?(?:{re.escape(number)})?\s*", text):
                continue  # a title of the author's own that carries more than label and number
            lead = text[: len(text) - len(text.lstrip())]
            _set_text(ref, f"{lead}{labels[kind]} {number}")
            parent = ref.parent
            position = parent.index(ref) if parent is not None else 0
            before = parent[position - 1] if position > 0 else None
            if isinstance(before, nodes.Text):
                stripped = re.sub(rf"(?:(?<=^)|(?<=[\s(\[（]))(?:{words})\s*$", "", str(before))
                if stripped != str(before):
                    before.parent.replace(before, nodes.Text(stripped))
        for admonition in self.document.findall(nodes.admonition):
            if "proof" not in admonition["classes"] or lang == "en":
                continue
            para = next(iter(admonition.findall(nodes.paragraph)), None)
            head = para.children[0] if para is not None and para.children else None
            if isinstance(head, nodes.Text) and str(head).startswith(PROOF_HEADS["en"]):
                para.replace(head, nodes.Text(PROOF_HEADS[lang] + str(head)[len(PROOF_HEADS["en"]):]))
        self.single_parentheses()
        if lang == "ko":
            self.korean_solution_titles()

    def single_parentheses(self) -> None:
        """sphinx-exercise wraps an exercise's title in parentheses; a title that starts with its own
        "(★★)" then reads "Exercise 1.4 ((★★) ...)".  Keep the author's parentheses only."""
        for title in self.document.findall(nodes.title):
            parent = title.parent
            if parent is None or not any(c == "exercise" or c.startswith("solution")
                                         for c in parent.get("classes", [])):
                continue
            for container in [title, *title.findall(nodes.reference)]:
                kids = container.children
                for i, kid in enumerate(kids[:-2]):
                    last = kids[-1]
                    if (isinstance(kid, nodes.Text) and str(kid).endswith(" (")
                            and kids[i + 1].astext().startswith("(")
                            and isinstance(last, nodes.Text) and str(last).endswith(")")):
                        container.replace(kid, nodes.Text(str(kid)[:-1]))
                        container.replace(last, nodes.Text(str(last)[:-1]))
                        break

    def korean_solution_titles(self) -> None:
        """"해답 연습문제 4.1" -> "연습문제 4.1 해답" (the exercise first, as Korean books write it)."""
        for title in self.document.findall(nodes.title):
            parent = title.parent
            if parent is None or not any(c.startswith("solution") for c in parent.get("classes", [])):
                continue
            kids = title.children
            if (len(kids) >= 2 and isinstance(kids[0], nodes.Text) and isinstance(kids[1], nodes.reference)
                    and str(kids[0]).strip() == KOREAN_MESSAGES["exercise"]["Solution to"]):
                head, ref = kids[0], kids[1]
                title.remove(head)
                _set_text(ref, ref.astext().strip())
                title.insert(1, nodes.Text(" " + str(head).strip()))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", install_korean_labels)
    app.add_post_transform(EditionLanguageFirst)
    app.add_post_transform(EditionLabels)
    app.connect("source-read", on_source_read)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("env-updated", restore_language)
    app.connect("build-finished", restore_language)
    app.connect("env-get-updated", renumber_per_edition, priority=900)
    app.connect("html-page-context", add_switch)
    app.connect("html-page-context", add_css)
    app.connect("html-page-context", use_page_language)
    app.connect("html-page-context", one_edition_navigation, priority=600)
    app.connect("html-collect-pages", english_search_page)
    app.connect("build-finished", split_search_index)
    return {"parallel_read_safe": False, "parallel_write_safe": False, "version": "0.1"}
