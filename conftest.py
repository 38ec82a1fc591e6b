"""Shared test configuration (at the top, so its hooks see nbval's cells in ``book/`` too).

- hypothesis runs are derandomized, so CI never flakes;
- every notebook is executed once per test run, by nbval: nbval's cells run first, and the
  outputs of each notebook whose cells all passed are written into the execution cache of the
  ``-W`` book build (jupyter-cache, the cache ``execute_notebooks: cache`` reads), so the build,
  the student edition and the slides take the notebooks' outputs from nbval's run instead of
  executing them again;
- ``built_book`` builds the whole book once per session, warnings as errors, into a temporary
  folder, for the tests that read the built HTML; ``book_execution`` says which notebooks the
  build took from nbval and how many it had to execute itself (those nbval did not run);
- when it is built, the student's and the instructor's editions start building from the same
  cache in the background (``tools/editions.py``), on the second core while the tests of the
  reader's book run; ``edition_build(name)`` waits for one and returns its HTML folder and log.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from hypothesis import settings

settings.register_profile("book", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("book")

ROOT = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# tools/editions.py: how jupyter-book is found, and the command that builds an edition
EDITIONS_TOOL = _load("lmm_editions_tool_conftest", ROOT / "tools" / "editions.py")

# path of a notebook nbval ran -> {code cell number: its outputs}, for cells that passed
NBVAL_OUTPUTS: dict[Path, dict[int, list]] = {}


def _is_nbval_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """nbval's notebook cells run before every other test, so the book build can reuse their outputs."""
    items[:] = [i for i in items if _is_nbval_cell(i)] + [i for i in items if not _is_nbval_cell(i)]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if _is_nbval_cell(item) and call.when == "call" and report.passed and item.test_outputs is not None:
        NBVAL_OUTPUTS.setdefault(Path(str(item.fspath)).resolve(), {})[item.cell_num] = item.test_outputs


def executed_notebook(path: Path, outputs: dict[int, list]) -> nbformat.NotebookNode | None:
    """The notebook at ``path`` with nbval's outputs, or None unless every code cell ran and passed."""
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if sorted(outputs) != list(range(len(code))):
        return None
    for number, cell in enumerate(code):
        cell.outputs = [nbformat.from_dict(dict(out)) for out in outputs[number]]
        cell.execution_count = number + 1
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = number + 1
    return nb


def seed_execution_cache(cache_dir: Path) -> list[Path]:
    """Write every notebook nbval ran completely into the jupyter-cache at ``cache_dir``; return their paths."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir))
    seeded = []
    for path, outputs in sorted(NBVAL_OUTPUTS.items()):
        nb = executed_notebook(path, outputs)
        if nb is not None:
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"source": "nbval"}),
                                        check_validity=False, overwrite=True)
            seeded.append(path)
    return seeded


# what the book build of this session took from nbval (``seeded``) and executed itself (``executed``)
BOOK_EXECUTION: dict[str, list] = {}


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Run ``jupyter-book build . -W -n --keep-going`` on nbval's outputs; return the HTML folder."""
    out = tmp_path_factory.mktemp("book")
    seeded = seed_execution_cache(out / "_build" / ".jupyter_cache")
    cmd = [EDITIONS_TOOL.jupyter_book(), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        _build_failed("book", log)
    BOOK_EXECUTION.update(seeded=seeded, executed=re.findall(r"Executing notebook using \w+ CWD", log))
    _start_editions(out / "_build" / ".jupyter_cache", tmp_path_factory)
    return out / "_build" / "html"


# edition -> (its output folder, the running build, its log file)
EDITION_BUILDS: dict[str, tuple[Path, subprocess.Popen, Path]] = {}


def _build_failed(name: str, log: str) -> None:
    """Fail the test with the build's warnings and errors (or the end of its log)."""
    lines = log.splitlines()
    shown = [line for line in lines if "WARNING" in line or "ERROR" in line][-40:] or lines[-40:]
    pytest.fail(f"{name} build failed (-W):\n" + "\n".join(shown))


def _start_editions(cache: Path, tmp_path_factory) -> None:
    for edition in ("student", "instructor"):
        out = tmp_path_factory.mktemp(edition)
        log = out / "build.log"
        with log.open("w", encoding="utf-8") as sink:
            proc = subprocess.Popen(EDITIONS_TOOL.command(edition, out, cache=cache, strict=True), cwd=ROOT,
                                    stdout=sink, stderr=subprocess.STDOUT, text=True)
        EDITION_BUILDS[edition] = (out, proc, log)


@pytest.fixture(scope="session")
def edition_build(built_book) -> Callable[[str], tuple[Path, str]]:
    """``edition_build("student")``: wait for that edition's -W build; its HTML folder and its log."""

    def finished(edition: str) -> tuple[Path, str]:
        out, proc, log = EDITION_BUILDS[edition]
        returncode = proc.wait()
        text = log.read_text(encoding="utf-8")
        if returncode != 0:
            _build_failed(f"{edition} edition", text)
        return out / "_build" / "html", text

    yield finished
    for _, proc, _ in EDITION_BUILDS.values():
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="session")
def book_execution(built_book) -> dict[str, list]:
    """``seeded``: the notebooks whose nbval outputs the build used; ``executed``: one entry per notebook it ran."""
    return BOOK_EXECUTION
