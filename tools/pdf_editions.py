"""Build the Korean and the English PDF edition of the book (``make pdf``).

The HTML book is one Sphinx project with both languages.  A PDF holds one
language, so for each language this script writes a table of contents and a
configuration next to the output (generated from ``_toc.yml`` and
``_config.yml``, so a chapter added there is in the PDF too) and runs

    jupyter-book build . --builder pdflatex --toc <out>/<lang>/_toc.yml --config <out>/<lang>/_config.yml

with xelatex.  The edition's first front-matter page (``book/<lang>/00_intro``)
is the root; the language's parts follow with their captions shortened
("한국어 · 본문" -> "본문").  Korean text is set with kotex and the Nanum fonts
(Debian ``texlive-lang-korean fonts-nanum``; ``make pdf-deps`` installs all
packages); the English edition loads them too, for the Korean terms in its
glossary.  The date is numeric (a Korean month name would need a font the
title page does not use).

Usage: ``python tools/pdf_editions.py OUT_DIR [ko] [en]``.  Writes
``OUT_DIR/lmm-ko.pdf`` and ``OUT_DIR/lmm-en.pdf``, and fails if xelatex
reported a missing character.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TITLES = {"ko": "선형 혼합효과 모형", "en": "Linear Mixed-Effects Models"}
KOREAN_FONTS = r"""
\usepackage{kotex}
\setmainhangulfont{NanumMyeongjo}
\setsanshangulfont{NanumGothic}
\setmonohangulfont{NanumGothicCoding}
% sphinx-jupyterbook-latex loads ucharclasses[Latin,Greek] after this preamble; its character
% classes collide with kotex's, and accented Latin letters (Mächler) are then set in the Hangul
% font, which lacks them ("Missing character").  Mark it as loaded so that it does nothing.
\makeatletter
\@namedef{ver@ucharclasses.sty}{}\@namedef{opt@ucharclasses.sty}{Latin,Greek}
\makeatother
"""

# Interface words of the Korean edition.  Sphinx knows no LaTeX language option for Korean and
# falls back to English captions; set them at the very end of \begin{document}, after polyglossia.
KOREAN_CAPTIONS = r"""
\AddToHook{begindocument/end}{%
  \renewcommand{\contentsname}{차례}%
  \renewcommand{\bibname}{참고문헌}%
  \renewcommand{\indexname}{색인}%
  \renewcommand{\chaptername}{}%
  \renewcommand{\partname}{}%
}
"""


def edition_toc(toc: dict, lang: str) -> dict:
    """The language's parts of the book's toc, rooted at its first front-matter page."""
    prefix = f"book/{lang}/"
    parts = [copy.deepcopy(p) for p in toc["parts"]
             if p["chapters"] and all(c["file"].startswith(prefix) for c in p["chapters"])]
    root = parts[0]["chapters"].pop(0)["file"]
    for part in parts:
        part["caption"] = re.sub(r"^[^·]*·\s*", "", part["caption"]) if "·" in part["caption"] else part["caption"]
    parts = [p for p in parts if p["chapters"]]
    return {"format": toc["format"], "root": root, "parts": parts}


def edition_config(config: dict, lang: str) -> dict:
    config = copy.deepcopy(config)
    config["title"] = TITLES[lang]
    config.setdefault("latex", {})
    config["latex"]["latex_engine"] = "xelatex"
    config["latex"]["latex_documents"] = {"targetname": f"lmm-{lang}.tex"}
    # jupyter-book resolves local extension folders against the config file's folder
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str((ROOT / folder).resolve())
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = lang
    sphinx["today_fmt"] = "%Y-%m-%d"
    sphinx["latex_elements"] = {"preamble": KOREAN_FONTS + (KOREAN_CAPTIONS if lang == "ko" else "")}
    return config


def build(out: Path, lang: str) -> Path:
    work = out / lang
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    (work / "_toc.yml").write_text(yaml.safe_dump(edition_toc(toc, lang), allow_unicode=True), encoding="utf-8")
    (work / "_config.yml").write_text(yaml.safe_dump(edition_config(config, lang), allow_unicode=True),
                                      encoding="utf-8")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else shutil.which("jupyter-book")), "build", str(ROOT), "--builder", "pdflatex",
           "--toc", str(work / "_toc.yml"), "--config", str(work / "_config.yml"), "--path-output", str(work)]
    log_path = work / "build.log"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    latex = work / "_build" / "latex"
    pdf = latex / f"lmm-{lang}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        sys.exit(f"{lang}: the PDF build failed; see {log_path}")
    tex_log = (latex / f"lmm-{lang}.log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no .*", tex_log)))
    if missing:
        sys.exit(f"{lang}: xelatex is missing characters:\n" + "\n".join(missing[:20]))
    warnings = [line for line in log_path.read_text(encoding="utf-8").splitlines() if "WARNING" in line]
    target = out / pdf.name
    shutil.copyfile(pdf, target)
    print(f"{target}  ({len(warnings)} Sphinx warnings; log {log_path})")
    return target


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    out = Path(argv[0]).resolve()
    for lang in argv[1:] or ["ko", "en"]:
        build(out, lang)


if __name__ == "__main__":
    main(sys.argv[1:])
