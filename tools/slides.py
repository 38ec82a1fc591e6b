"""Lecture slides from the chapters themselves (``make slides``): one reveal.js deck per chapter and language.

Nothing is written twice: a deck is cut from the chapter's notebook with the outputs of the
book's execution (read from the execution cache of ``jupyter-book build``,
``_build/.jupyter_cache``; nothing is executed here), so its equations, theorems, figures and
code are the book's.  What goes on a slide (in the chapter's order):

1. the title slide: the chapter's number and title; notes: its first paragraph;
2. the key equations: every labelled display equation (``$$ ... $$ (label)``), two to a slide
   under the heading of their section (``##``), numbered as in the book; notes: the section's
   first paragraph;
3. every statement of a ``prf:theorem``, ``lemma``, ``proposition``, ``corollary`` and
   ``definition`` (without its proof), one to a slide;
4. the code a lecturer runs live: every code cell tagged ``slide`` (``metadata.tags``), its code
   and printed output; notes: "run this cell";
5. every figure: a code cell with a caption (``metadata.mystnb.figure.caption``), its image
   and caption; notes: the cell's code.  A figure cell tagged ``slide`` gives a code slide and
   then the figure: the lecturer runs the cell and shows what it draws.

Nothing inside an exercise or a solution is used, and a cell tagged ``no-slide`` is skipped.
``count_slides`` gives the number of slides of each kind, which the browser tests compare with
the decks.  reveal.js (npm, pinned in ``package.json``) and MathJax (``book/_mathjax``) are
copied next to the decks, with the book's Korean font: a deck loads nothing from another host.
Speaker notes open with the key ``s``.

Usage: ``python tools/slides.py CACHE_DIR OUT_DIR [--reveal DIR]``; CACHE_DIR is the jupyter-cache
folder of a book build (a folder of executed ``book/<lang>/<chapter>.ipynb`` works too), OUT_DIR
receives ``<lang>/<chapter>.html`` and ``index.html``.  The chapters are read from ``_toc.yml``
(its numbered parts); a chapter whose current code has not been executed is an error.
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REVEAL = ROOT / "_build" / "npm" / "node_modules" / "reveal.js"
MATHJAX = ROOT / "book" / "_mathjax" / "mathjax"
FONT = ROOT / "lmmtext" / "fonts" / "LmmtextGothic.ttf"
THEOREMS = ("theorem", "lemma", "proposition", "corollary", "definition")
WORDS = {
    "ko": {"chapter": "{}장", "theorem": "정리", "lemma": "보조정리", "proposition": "명제", "corollary": "따름정리",
           "definition": "정의", "live": "셀을 실행한다.", "figure": "그림", "slides": "강의 슬라이드",
           "book": "책으로 돌아가기", "cont": "(계속)"},
    "en": {"chapter": "Chapter {}", "theorem": "Theorem", "lemma": "Lemma", "proposition": "Proposition",
           "corollary": "Corollary", "definition": "Definition", "live": "Run this cell.", "figure": "Figure",
           "slides": "Lecture slides", "book": "Back to the book", "cont": "(cont.)"},
}
FENCE = re.compile(r"^(`{3,}|:{3,})\{([\w:-]+)\}(.*)$")
EQUATION = re.compile(r"^\$\$\s*\n(.*?)\n\$\$\s*\((?P<label>[\w:-]+)\)\s*$", re.S | re.M)


@dataclass
class Slide:
    kind: str  # title, equations, theorem, code, figure
    heading: str
    body: str  # HTML
    notes: str = ""
    images: list[bytes] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# The chapters
# ------------------------------------------------------------------------------------------
def chapters(toc: dict, lang: str) -> list[tuple[int, str]]:
    """(number, docname) of the numbered chapters of one language, in the order of ``_toc.yml``."""
    out = []
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for chapter in part["chapters"]:
            if chapter["file"].startswith(f"book/{lang}/"):
                out.append((len(out) + 1, chapter["file"]))
    return out


def source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def blocks(text: str) -> list[tuple[str, str, str, str]]:
    """Split MyST text into ("text", "", "", chunk) and ("directive", name, argument, body) pieces."""
    lines, out, buffer, i = text.split("\n"), [], [], 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        if not m:
            buffer.append(lines[i])
            i += 1
            continue
        if buffer:
            out.append(("text", "", "", "\n".join(buffer)))
            buffer = []
        fence, j = m[1], i + 1
        depth = 0
        while j < len(lines):
            inner = lines[j].strip()
            if FENCE.match(inner) and inner.startswith(fence[0]) and len(re.match(r"^[`:]+", inner)[0]) == len(fence):
                depth += 1
            elif re.fullmatch(rf"{re.escape(fence[0])}{{{len(fence)},}}", inner):
                if depth == 0:
                    break
                depth -= 1
            j += 1
        out.append(("directive", m[2], m[3].strip(), "\n".join(lines[i + 1:j])))
        i = j + 1
    if buffer:
        out.append(("text", "", "", "\n".join(buffer)))
    return out


def options_and_body(body: str) -> tuple[dict[str, str], str]:
    opts, lines = {}, body.split("\n")
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        key, _, value = lines.pop(0)[1:].partition(":")
        opts[key] = value.strip()
    return opts, "\n".join(lines).strip()


# ------------------------------------------------------------------------------------------
# MyST -> HTML (the little a slide needs)
# ------------------------------------------------------------------------------------------
def plain_roles(text: str, refs: dict[str, str]) -> str:
    """Resolve or drop MyST roles: {term}, {eq}, {numref}, {ref}, {prf:ref}, {cite}, {doc}."""
    def role(m: re.Match) -> str:
        name, content = m[1], m[2]
        shown, _, target = content.partition(" <")
        target = target.rstrip(">") if target else content
        if name == "eq":
            return refs.get(target, "")
        if name.startswith("cite"):
            return ""
        if name == "numref":
            number = refs.get(target, "")
            return shown.replace("%s", number) if "%s" in shown else (shown if _ else number)
        if name in {"ref", "prf:ref", "doc"}:
            return shown if _ else refs.get(target, "")
        return shown if _ or name == "term" else content
    text = re.sub(r"\{([\w:-]+)\}`([^`]*)`", role, text)
    text = re.sub(r"^\([\w:-]+\)=\s*$", "", text, flags=re.M)
    return text


def md_to_html(text: str, refs: dict[str, str]) -> str:
    """Markdown with math to HTML; math is left to MathJax as \\( \\) and \\[ \\]."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(dollarmath_plugin, allow_labels=True,
                                                                          double_inline=True)

    def inline(self, tokens, idx, options, env):
        return r"\(" + html.escape(tokens[idx].content) + r"\)"

    def block(self, tokens, idx, options, env):
        label = tokens[idx].info
        tag = rf"\tag{{{refs[label].strip('()')}}}" if label in refs else ""
        return '<div class="math">\\[' + html.escape(tokens[idx].content.strip()) + tag + "\\]</div>\n"

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", block)
    md.add_render_rule("math_block", block)
    md.add_render_rule("math_block_label", block)
    return md.render(plain_roles(text, refs))


def first_paragraph(text: str) -> str:
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if chunk and not chunk.startswith(("#", "$$", "```", ":::", "|", "(")):
            return chunk
    return ""


# ------------------------------------------------------------------------------------------
# Selection
# ------------------------------------------------------------------------------------------
def select(nb: dict, number: int, lang: str, refs: dict[str, str]) -> list[Slide]:
    """The slides of one chapter (see the module's docstring for what is selected)."""
    words = WORDS[lang]
    cells = [c for c in nb["cells"] if "no-slide" not in c.get("metadata", {}).get("tags", [])]
    slides: list[Slide] = []
    title, intro, section, section_notes = "", "", "", ""
    pending: list[str] = []  # labelled equations of the current section
    in_exercises = False

    def flush() -> None:
        nonlocal pending
        for k in range(0, len(pending), 2):
            heading = section + (f" {words['cont']}" if k else "")
            slides.append(Slide("equations", heading, "".join(md_to_html(e, refs) for e in pending[k:k + 2]),
                                notes=md_to_html(section_notes, refs)))
        pending = []

    gated = False
    for cell in cells:
        text = source(cell)
        if cell["cell_type"] == "code":
            if in_exercises or gated:
                continue
            meta = cell.get("metadata", {})
            if "slide" in meta.get("tags", []) or meta.get("mystnb", {}).get("figure", {}).get("caption"):
                flush()
            if "slide" in meta.get("tags", []):
                printed = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                                  for o in cell.get("outputs", []) if o.get("output_type") == "stream")
                printed = "\n".join(printed.splitlines()[:12])
                body = f'<pre class="code"><code>{html.escape(text)}</code></pre>'
                if printed.strip():
                    body += f'<pre class="output">{html.escape(printed)}</pre>'
                slides.append(Slide("code", section, body, notes=words["live"]))
            caption = meta.get("mystnb", {}).get("figure", {}).get("caption")
            if caption:
                images = [base64.b64decode(o["data"]["image/png"]) for o in cell.get("outputs", [])
                          if "image/png" in o.get("data", {})]
                slides.append(Slide("figure", section, md_to_html(caption, refs),
                                    notes=f"<pre>{html.escape(text)}</pre>", images=images))
            continue
        for kind, name, argument, body in blocks(text):
            if kind == "directive":
                if name in {"solution-start"}:
                    gated = True
                elif name == "solution-end":
                    gated = False
                elif name == "exercise" or name.startswith("solution") or in_exercises or gated:
                    continue
                elif name.startswith("prf:") and name[4:] in THEOREMS:
                    flush()
                    opts, statement = options_and_body(body)
                    heading = f"{words[name[4:]]}" + (f" ({plain_roles(argument, refs)})" if argument else "")
                    slides.append(Slide("theorem", heading, md_to_html(statement, refs),
                                        notes=md_to_html(section_notes, refs)))
                else:  # a proof, a note: its labelled equations are key equations too
                    pending.extend(m.group(0) for m in EQUATION.finditer(body) if m["label"] in refs)
                continue
            if gated:
                continue
            for piece in re.split(r"(?m)^(?=#{1,2} )", body):
                head = re.match(r"^(#{1,2}) (.*)$", piece, flags=re.M)
                if head and piece.startswith("#"):
                    if head[1] == "#":
                        title = plain_roles(head[2], refs).strip()
                        intro = first_paragraph(piece[head.end():])
                        slides.append(Slide("title", title, "", notes=md_to_html(intro, refs)))
                    else:
                        flush()
                        section = plain_roles(head[2], refs).strip()
                        in_exercises = bool(re.search(r"연습문제|Exercises|참고문헌|References", section))
                        section_notes = first_paragraph(piece[head.end():])
                    piece = piece[head.end():]
                if in_exercises:
                    continue
                if not section_notes and section:
                    section_notes = first_paragraph(piece)
                for m in EQUATION.finditer(piece):
                    if m["label"] in refs:
                        pending.append(m.group(0))
    flush()
    if slides and slides[0].kind == "title":
        slides[0].body = f'<p class="chapter-number">{words["chapter"].format(number)}</p>'
    return slides


def count_slides(nb: dict) -> dict[str, int]:
    """Slides of each kind a chapter's markers select (what the decks must hold)."""
    refs = equation_numbers(nb, 0)
    kinds: dict[str, int] = {}
    for slide in select(nb, 0, "en", refs):
        kinds[slide.kind] = kinds.get(slide.kind, 0) + 1
    return kinds


def equation_numbers(nb: dict, number: int) -> dict[str, str]:
    """Label -> "(c.k)" for the chapter's labelled display equations, numbered as the book does."""
    refs, k = {}, 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for m in re.finditer(r"^\$\$\s*\((?P<label>[\w:-]+)\)\s*$", source(cell), flags=re.M):
                k += 1
                refs[m["label"]] = f"({number}.{k})"
    return refs


# ------------------------------------------------------------------------------------------
# Writing the decks
# ------------------------------------------------------------------------------------------
PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="../_reveal/dist/reset.css">
<link rel="stylesheet" href="../_reveal/dist/reveal.css">
<link rel="stylesheet" href="../_reveal/dist/theme/white.css">
<style>
@font-face {{ font-family: "Lmmtext Gothic"; src: url("../_fonts/LmmtextGothic.ttf") format("truetype"); }}
.reveal {{ font-family: "Lmmtext Gothic", "NanumGothic", sans-serif; font-size: 30px; }}
.reveal h1, .reveal h2, .reveal h3 {{ font-family: "Lmmtext Gothic", "NanumGothic", sans-serif; text-transform: none; }}
.reveal h3 {{ font-size: 1.15em; color: #234; }}
.reveal .math {{ margin: 0.4em 0; font-size: 1.2em; }}
.reveal section img {{ max-height: 470px; max-width: 92%; border: 0; box-shadow: none; margin: 0.2em auto; }}
.reveal .caption {{ font-size: 0.72em; color: #333; }}
.reveal pre.code {{ font-size: 0.5em; width: 100%; box-shadow: none; }}
.reveal pre.code code {{ max-height: 420px; padding: 0.6em; background: #f6f8fa; color: #111; }}
.reveal pre.output {{ font-size: 0.45em; box-shadow: none; background: #fff; color: #333; }}
.reveal .chapter-number {{ color: #666; }}
.reveal .statement {{ text-align: left; font-size: 0.85em; }}
.reveal .book-link {{ font-size: 0.6em; }}
</style>
<script>
window.MathJax = {{
  tex: {{ inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], tags: "none" }},
  options: {{ ignoreHtmlClass: "notes" }},
  startup: {{ typeset: true }}
}};
</script>
<script src="../_mathjax/es5/tex-mml-chtml.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{sections}
</div></div>
<script src="../_reveal/dist/reveal.js"></script>
<script src="../_reveal/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({{ hash: true, slideNumber: "c/t", width: 1280, height: 720, margin: 0.04,
                     transition: "none", plugins: [RevealNotes] }});
</script>
</body>
</html>
"""


def section_html(slide: Slide, index: int, deck: str, lang: str, book_href: str) -> str:
    parts = [f'<section data-kind="{slide.kind}">']
    if slide.kind == "title":
        parts.append(f"<h2>{html.escape(slide.heading)}</h2>{slide.body}")
        parts.append(f'<p class="book-link"><a href="{book_href}">{WORDS[lang]["book"]}</a></p>')
    else:
        if slide.heading:
            parts.append(f"<h3>{html.escape(slide.heading)}</h3>")
        if slide.kind == "figure":
            for k, _ in enumerate(slide.images):
                parts.append(f'<img src="{deck}/fig-{index}-{k}.png" alt="">')
            parts.append(f'<div class="caption">{slide.body}</div>')
        elif slide.kind == "theorem":
            parts.append(f'<div class="statement">{slide.body}</div>')
        else:
            parts.append(slide.body)
    if slide.notes:
        parts.append(f'<aside class="notes">{slide.notes}</aside>')
    parts.append("</section>")
    return "\n".join(parts)


def executed_notebook(executed: Path, docname: str) -> dict:
    """The chapter's notebook (from ``book/``) with the outputs of its execution.

    ``executed`` is a jupyter-cache folder (the outputs of the cached execution whose code matches
    the notebook's), or a folder of executed notebooks.
    """
    import nbformat

    path = ROOT / f"{docname}.ipynb"
    if (executed / "global.db").exists():
        from jupyter_cache import get_cache

        try:
            _, merged = get_cache(str(executed)).merge_match_into_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            sys.exit(f"{docname}: not executed with its current code; build the book first (make html)")
        return json.loads(nbformat.writes(merged))
    return json.loads((executed / f"{docname}.ipynb").read_text(encoding="utf-8"))


def chapter_labels(toc: dict, lang: str) -> dict[str, str]:
    """Chapter label ("ko-ch-fixed-random") -> chapter number, for {numref} in a deck."""
    labels = {}
    for number, docname in chapters(toc, lang):
        path = ROOT / f"{docname}.ipynb"
        if path.exists():
            text = "\n".join(source(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"][:1])
            m = re.search(r"^\(([\w:-]+)\)=", text, flags=re.M)
            if m:
                labels[m[1]] = str(number)
    return labels


def write_deck(nb: dict, number: int, lang: str, name: str, out: Path, labels: dict[str, str] | None = None) -> int:
    refs = {**(labels or {}), **equation_numbers(nb, number)}
    slides = select(nb, number, lang, refs)
    folder = out / lang / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sections = []
    for i, slide in enumerate(slides):
        for k, image in enumerate(slide.images):
            (folder / f"fig-{i}-{k}.png").write_bytes(image)
        sections.append(section_html(slide, i, name, lang, f"../../book/{lang}/{name}.html"))
    title = f"{WORDS[lang]['chapter'].format(number)} · {slides[0].heading if slides else name}"
    (out / lang / f"{name}.html").write_text(
        PAGE.format(lang=lang, title=html.escape(title), sections="\n".join(sections)), encoding="utf-8")
    return len(slides)


def copy_assets(out: Path, reveal: Path) -> None:
    if not (reveal / "dist" / "reveal.js").is_file():
        sys.exit(f"reveal.js is missing at {reveal}: run `make slides` (npm ci installs it)")
    target = out / "_reveal"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(reveal / "dist", target / "dist")
    shutil.copytree(reveal / "plugin" / "notes", target / "plugin" / "notes")
    shutil.copyfile(reveal / "LICENSE", target / "LICENSE")
    shutil.rmtree(out / "_mathjax", ignore_errors=True)
    shutil.copytree(MATHJAX, out / "_mathjax", ignore=shutil.ignore_patterns("README*"))
    (out / "_fonts").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FONT, out / "_fonts" / FONT.name)
    shutil.copyfile(FONT.with_name("OFL.txt"), out / "_fonts" / "OFL.txt")


def build(executed: Path, out: Path, reveal: Path = REVEAL) -> dict[str, int]:
    """Write every deck; returns ``{"<lang>/<chapter>": number of slides}``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, reveal)
    counts, index = {}, []
    for lang in ("ko", "en"):
        items = []
        labels = chapter_labels(toc, lang)
        for number, docname in chapters(toc, lang):
            if not (ROOT / f"{docname}.ipynb").exists():
                continue
            nb = executed_notebook(executed, docname)
            name = Path(docname).name
            counts[f"{lang}/{name}"] = write_deck(nb, number, lang, name, out, labels)
            title = next((m[1] for c in nb["cells"] if c["cell_type"] == "markdown"
                          for m in [re.search(r"^# (.*)$", source(c), flags=re.M)] if m), name)
            items.append(f'<li><a href="{lang}/{name}.html">{WORDS[lang]["chapter"].format(number)} · '
                         f'{html.escape(plain_roles(title, {}))}</a> ({counts[f"{lang}/{name}"]})</li>')
        index.append(f'<h2 lang="{lang}">{WORDS[lang]["slides"]}</h2><ul lang="{lang}">{"".join(items)}</ul>')
    (out / "index.html").write_text(
        '<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>강의 슬라이드 · Lecture slides</title>'
        '<style>body{font-family:sans-serif;max-width:48em;margin:2em auto}</style></head><body>'
        + "".join(index) + "</body></html>", encoding="utf-8")
    return counts


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("executed", type=Path, help="the book build's jupyter-cache folder")
    parser.add_argument("out", type=Path)
    parser.add_argument("--reveal", type=Path, default=REVEAL, help="the reveal.js package folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = build(args.executed, args.out, args.reveal)
    print(f"{len(counts)} decks, {sum(counts.values())} slides in {args.out} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
