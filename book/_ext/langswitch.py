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
  and its ``<html lang>`` is ``en``.
"""
from __future__ import annotations

from typing import Any

from gettext import NullTranslations

from sphinx import locale
from sphinx.application import Sphinx
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


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("source-read", on_source_read)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("env-updated", restore_language)
    app.connect("build-finished", restore_language)
    app.connect("env-get-updated", renumber_per_edition, priority=900)
    app.connect("html-page-context", add_switch)
    app.connect("html-page-context", add_css)
    app.connect("html-page-context", use_page_language)
    return {"parallel_read_safe": False, "parallel_write_safe": False, "version": "0.1"}
