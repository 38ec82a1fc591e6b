"""Shared test configuration.

- hypothesis runs are derandomized, so CI never flakes;
- ``built_book`` builds the whole book once per session, warnings as errors,
  into a temporary folder, for the tests that read the built HTML.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("book", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("book")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Run ``jupyter-book build . -W -n --keep-going``; return the HTML folder."""
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else shutil.which("jupyter-book")), "build", str(ROOT),
           "-W", "-n", "--keep-going", "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail("book build failed (-W):\n" + "\n".join(warnings[-40:] or log.splitlines()[-40:]))
    return out / "_build" / "html"
