"""Build the student's or the instructor's edition of the HTML book (``make student``, ``make instructor``).

The editions are the same Sphinx project as the reader's book (``make book``), built with one
more setting, ``lmm_edition`` (``book/_ext/editions.py``), into their own folder:

    jupyter-book build . --config <out>/_config.yml --path-output <out>

The configuration is ``_config.yml`` with ``sphinx.config.lmm_edition`` set, the local
extensions' folders made absolute (jupyter-book resolves them against the configuration's
folder), and ``execute.cache`` pointing at the reader's execution cache: the notebooks are
not executed again when ``make book`` (or the test's ``-W`` build) has executed them with the
same code.

Usage: ``python tools/editions.py EDITION OUT_DIR [--cache DIR] [-W]``; EDITION is ``student``,
``instructor`` or ``reader``.  The HTML is in ``OUT_DIR/_build/html``.
"""
from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = ("reader", "student", "instructor")
TITLES = {"student": " · 학생용 Student edition", "instructor": " · 교수자용 Instructor edition", "reader": ""}


def edition_config(config: dict, edition: str, cache: Path | None = None) -> dict:
    """``_config.yml`` for an edition (a copy; the top-level file is not changed)."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, got {edition!r}")
    config = copy.deepcopy(config)
    sphinx = config.setdefault("sphinx", {})
    local = sphinx.get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str((ROOT / folder).resolve())
    settings = sphinx.setdefault("config", {})
    settings["lmm_edition"] = edition
    settings["html_title"] = settings.get("html_title", config.get("title", "")) + TITLES[edition]
    execute = config.setdefault("execute", {})
    if cache is not None:
        execute["cache"] = str(Path(cache).resolve())
        if execute.get("execute_notebooks", "cache") == "force":
            execute["execute_notebooks"] = "cache"
    return config


def jupyter_book() -> str:
    jb = Path(sys.executable).with_name("jupyter-book")
    return str(jb if jb.exists() else shutil.which("jupyter-book"))


def command(edition: str, out: Path, cache: Path | None = None, strict: bool = False) -> list[str]:
    """Write the edition's ``_config.yml`` into ``out``; return the command that builds it into ``out/_build/html``."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    (out / "_config.yml").write_text(yaml.safe_dump(edition_config(config, edition, cache), allow_unicode=True),
                                     encoding="utf-8")
    return [jupyter_book(), "build", str(ROOT), "--config", str(out / "_config.yml"), "--path-output", str(out),
            "--keep-going"] + (["-W", "-n"] if strict else [])


def build(edition: str, out: Path, cache: Path | None = None, strict: bool = False) -> subprocess.CompletedProcess:
    """Build the edition into ``out/_build/html``; returns the finished process (output captured)."""
    return subprocess.run(command(edition, out, cache, strict), cwd=ROOT, capture_output=True, text=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("edition", choices=EDITIONS)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache",
                        help="the execution cache to reuse (default: the one of make book)")
    parser.add_argument("-W", dest="strict", action="store_true", help="warnings are errors")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    proc = build(args.edition, args.out, args.cache, args.strict)
    sys.stdout.write(proc.stdout[-3000:])
    sys.stderr.write(proc.stderr[-3000:])
    if proc.returncode != 0:
        sys.exit(f"the {args.edition} edition failed to build")
    html = (args.out / "_build" / "html").resolve()
    print(f"{args.edition} edition: file://{html}/index.html ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
