"""lmmtext: the code of the textbook *Linear Mixed-Effects Models / 선형 혼합효과 모형*.

Every number in the book is computed by this package.  Modules follow the book:
:mod:`lmmtext.oneway` (Chapter 1), :mod:`lmmtext.mixed` (Chapter 1 and the theory
chapters), :mod:`lmmtext.plotting` (figures).  Importing the package registers
the bundled Korean font with matplotlib.
"""
from __future__ import annotations

from . import mixed, oneway, plotting
from ._fonts import register_korean_font

__version__ = "0.1.0"
__all__ = ["mixed", "oneway", "plotting", "register_korean_font", "__version__"]

register_korean_font()
