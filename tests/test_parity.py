"""The Korean and English editions stay in step: same pages, identical code cells."""
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def pages(lang):
    return sorted(p.relative_to(BOOK / lang).as_posix() for p in (BOOK / lang).glob("*.*")
                  if p.suffix in {".ipynb", ".md"})


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_page_exists_in_both_languages():
    assert pages("ko") == pages("en")


def test_every_page_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = {c["file"] for part in yaml.safe_load(toc)["parts"] for c in part["chapters"]}
    for lang in ("ko", "en"):
        for page in pages(lang):
            assert f"book/{lang}/{Path(page).stem}" in files, page


NOTEBOOKS = sorted(p.name for p in (BOOK / "ko").glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_korean_and_english_notebooks_have_identical_code_cells(name):
    ko, en = code_cells(BOOK / "ko" / name), code_cells(BOOK / "en" / name)
    assert len(ko) == len(en), f"{name}: {len(ko)} code cells in ko, {len(en)} in en"
    for i, (a, b) in enumerate(zip(ko, en)):
        assert a == b, f"{name}: code cell {i} differs"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_notebooks_are_committed_without_outputs(lang):
    for path in (BOOK / lang).glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, path.name


def test_parity_check_detects_a_changed_code_cell(tmp_path):
    """The comparison itself can fail: a one-character change is caught."""
    src = json.loads((BOOK / "ko" / NOTEBOOKS[0]).read_text(encoding="utf-8"))
    first = next(c for c in src["cells"] if c["cell_type"] == "code")
    first["source"] = first["source"] + " "
    (tmp_path / "x.ipynb").write_text(json.dumps(src), encoding="utf-8")
    assert code_cells(tmp_path / "x.ipynb") != code_cells(BOOK / "en" / NOTEBOOKS[0])
