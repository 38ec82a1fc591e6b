"""lmmtext: the code of the textbook *Linear Mixed-Effects Models / 선형 혼합효과 모형*.

Every number in the book is computed by this package.  Modules follow the book:
:mod:`lmmtext.oneway` (Chapters 1-2, 11), :mod:`lmmtext.mixed` (Chapters 1, 3 and 5),
:mod:`lmmtext.likelihood` and :mod:`lmmtext.varcomp` (Chapter 4),
:mod:`lmmtext.shrinkage` (Chapter 6), :mod:`lmmtext.formula` and
:mod:`lmmtext.modelframe` (formulas and data as lme4 reads them), :mod:`lmmtext.lmm`
with :mod:`lmmtext.pls` (Chapters 7-9, 16), :mod:`lmmtext.inference`,
:mod:`lmmtext.ddf` and :mod:`lmmtext.profile` (Chapters 10-11),
:mod:`lmmtext.diagnostics` (Chapters 12-14), :mod:`lmmtext.residual` (Chapter 15),
:mod:`lmmtext.studies`, :mod:`lmmtext.datasets` and :mod:`lmmtext.plotting`.
``lmmtext.lmm(formula, data, method="REML")`` fits a model from an lme4 formula.
Importing the package registers the bundled Korean font with matplotlib.
"""
from __future__ import annotations

from . import datasets, mixed, oneway, plotting, residual, varcomp
from ._fonts import register_korean_font
from .lmm import lmm

__version__ = "0.1.0"
__all__ = ["datasets", "lmm", "mixed", "oneway", "plotting", "register_korean_font", "residual",
           "varcomp",
           "__version__"]

register_korean_font()
