"""Register the bundled Korean font with matplotlib.

The package ships ``fonts/LmmtextGothic.ttf``: NanumGothic (SIL Open Font
License 1.1, see ``fonts/OFL.txt``) with one glyph added, U+2212 MINUS SIGN,
and renamed as the OFL requires of a modified font (``tools/build_font.py``).
Matplotlib's mathtext draws every minus in math mode (log-axis ticks such as
``10^{-1}``) with U+2212 in the text font and does not fall back, so plain
NanumGothic would draw a box there.  DejaVu Sans, bundled with matplotlib,
follows in ``font.family`` for any other glyph the Korean font lacks.
"""
from __future__ import annotations

from pathlib import Path

FONT_PATH = Path(__file__).with_name("fonts") / "LmmtextGothic.ttf"
FONT_NAME = "Lmmtext Gothic"
FONT_FAMILY = [FONT_NAME, "DejaVu Sans"]


def register_korean_font() -> None:
    """Add the bundled Korean font to matplotlib and put it first in ``font.family``."""
    import matplotlib
    from matplotlib import font_manager

    if FONT_NAME not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_PATH))
    matplotlib.rcParams["font.family"] = FONT_FAMILY
