"""tools/pdf_editions.py: each PDF edition gets one language's table of contents and settings.

The PDFs themselves need xelatex and about 2 GB of TeX packages (``make pdf``), so
they are not built by ``make test``; these tests check what the script hands to
jupyter-book.
"""
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("pdf_editions", ROOT / "tools" / "pdf_editions.py")
pdf_editions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdf_editions)

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def files(toc):
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_edition_toc_holds_only_its_language_rooted_at_its_preface(lang):
    toc = pdf_editions.edition_toc(TOC, lang)
    assert toc["root"] == f"book/{lang}/00_intro"
    assert files(toc) and all(f.startswith(f"book/{lang}/") for f in files(toc))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_edition_toc_keeps_every_chapter_of_its_language(lang):
    toc = pdf_editions.edition_toc(TOC, lang)
    expected = [f for f in files(TOC) if f.startswith(f"book/{lang}/")]
    assert files(toc) == [f for f in expected if f != toc["root"]]


def test_edition_toc_drops_the_language_from_part_captions():
    captions = [p["caption"] for p in pdf_editions.edition_toc(TOC, "ko")["parts"]]
    assert captions == ["본문", "부록"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_edition_config_uses_xelatex_the_edition_language_and_korean_fonts(lang):
    config = pdf_editions.edition_config(CONFIG, lang)
    assert config["latex"]["latex_engine"] == "xelatex"
    assert config["latex"]["latex_documents"]["targetname"] == f"lmm-{lang}.tex"
    sphinx = config["sphinx"]["config"]
    assert sphinx["language"] == lang
    assert r"\usepackage{kotex}" in sphinx["latex_elements"]["preamble"]
    assert ("차례" in sphinx["latex_elements"]["preamble"]) == (lang == "ko")
    assert all(Path(folder).is_absolute() for folder in config["sphinx"]["local_extensions"].values())


def test_edition_config_leaves_the_html_configuration_untouched():
    before = yaml.safe_dump(CONFIG)
    pdf_editions.edition_config(CONFIG, "ko")
    assert yaml.safe_dump(CONFIG) == before
