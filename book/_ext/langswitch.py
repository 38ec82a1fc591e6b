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
"""
from __future__ import annotations

import re
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
    context["body"] = (
        f'<p class="lang-switch"><a class="reference internal lang-switch-link" '
        f'hreflang="{lang}" lang="{lang}" href="{uri}">{label}</a></p>\n' + context["body"]
    )


CSS = """
.lang-switch { text-align: right; margin: 0 0 0.5em 0; }
.lang-switch a { border: 1px solid var(--pst-color-border, #ccc); border-radius: 4px; padding: 0.15em 0.6em; }
"""


def add_css(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    context.setdefault("metatags", "")
    context["metatags"] += f"\n<style>{CSS}</style>"


def edition(docname: str) -> str:
    """``ko`` or ``en`` for a language page, ``""`` for the shared root page."""
    lang = docname[len(PREFIX):].partition("/")[0] if docname.startswith(PREFIX) else ""
    return lang if lang in LANGS else ""


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


def use_page_language(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:
    """Render an English page's theme in English: ``<html lang="en">`` and no Korean catalog."""
    templates = getattr(getattr(app.builder, "templates", None), "environment", None)
    english = edition(pagename) == "en"
    if english:
        context["language"] = "en"
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
    return {"parallel_read_safe": False, "parallel_write_safe": False, "version": "0.1"}
