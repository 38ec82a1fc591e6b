"""Results of simulation studies too slow to run in a notebook, shipped as small CSV files.

A *study* is a seeded script ``studies/<script>.py`` (run by ``make studies``, never by
``make test``) that writes ``lmmtext/data/study_<name>.csv``.  The notebooks load the
table with :func:`load_study`, plot it and assert on it, beside a small live version of
the same simulation.  Each study's script, seed and settings are listed in
:func:`load_study`'s docstring and repeated in the script's own docstring.
"""
from __future__ import annotations

import re
from importlib import resources

import pandas as pd

__all__ = ["available_studies", "load_study"]

_PREFIX, _SUFFIX = "study_", ".csv"
_NAME = re.compile(r"[a-z0-9_]+")


def available_studies() -> list[str]:
    """The names of the shipped studies, sorted.

    Returns
    -------
    list of str
        Every ``name`` for which ``lmmtext/data/study_<name>.csv`` exists.

    Examples
    --------
    >>> all(isinstance(n, str) for n in available_studies())
    True
    """
    folder = resources.files("lmmtext").joinpath("data")
    return sorted(p.name[len(_PREFIX):-len(_SUFFIX)] for p in folder.iterdir()
                  if p.name.startswith(_PREFIX) and p.name.endswith(_SUFFIX))


def load_study(name: str) -> pd.DataFrame:
    """Load the results table of a simulation study, ``lmmtext/data/study_<name>.csv``.

    Parameters
    ----------
    name : str
        The study's name: lower-case letters, digits and underscores
        (see :func:`available_studies`).

    Returns
    -------
    pandas.DataFrame
        A fresh copy of the table, one row per setting (and method) of the study.

    Raises
    ------
    ValueError
        If ``name`` is not a valid name or no such study is shipped.

    Notes
    -----
    The shipped studies (script in ``studies/``, seed, settings):

    ``fixed_size``
        ``studies/fixed_effects_size.py``, seed 10, 1,000 data sets per setting.
        Size at the 5% level of four tests of the slope in a random-slope model
        (Chapter 10): Wald z, likelihood ratio (chi-square, ML), Satterthwaite t
        and Kenward-Roger t, under the null hypothesis, for a = 4, 6, 10 and 20
        subjects, in a balanced design (days 0-9) and an unbalanced one (3 to 10
        days); one row per (design, a, method) with the rejection rate, its Monte
        Carlo standard error, the number of data sets, the mean denominator df
        and the shares of singular and of non-converged REML fits.  The model is
        in the script's docstring.

    ``variance_intervals``
        ``studies/variance_intervals.py``, seed 11, 500 data sets per setting.
        Coverage of five 95% intervals for the between-group variance of the
        balanced one-way model (listed in the script's docstring; Chapter 11),
        ``a`` = 6 and 24 groups of 5,
        ``tau = sigma_a^2 / sigma^2`` = 0.25 and 1.

    ``variance_eblup``
        ``studies/variance_eblup.py``, seed 11, 100,000 data sets per setting.
        Mean squared error of the BLUP and the EBLUP against Kackar-Harville and
        Prasad-Rao (Chapter 11), ``a`` = 6, 12, 30, ``tau`` = 0.1 to 2.

    ``building_mundlak``
        ``studies/building_mundlak.py``, seed 13, 500 data sets per setting.  A
        random intercept correlated with a covariate's group mean: bias and
        coverage of the within, between and pooled slopes (Chapter 13), ``n`` =
        5, 20, 60 pupils per school, correlation ``c`` = 0 and 0.6.

    ``correlated_lrt``
        ``studies/correlated_lrt.py``, seed 15, 1,000 data sets per design.  The
        null distribution of the likelihood-ratio statistic for an AR(1)
        correlation, ``phi = 0`` (Chapter 15), on nlme's Ovary data (all rows, and
        the first 6 rows of each mare).

    ``prediction_coverage``
        ``studies/prediction_coverage.py``, seed 14, 1,000 replicates.  Coverage
        of 95% prediction intervals (pupils, school means, school effects) in the
        crossed ScotsSec model of Chapter 14, simulated from its REML fit.

    ``prediction_power``
        ``studies/prediction_power.py``, seed 14, 1,000 data sets per setting.
        Power and size of the Wald test of a school-randomised programme effect
        (Chapter 14), ``a`` = 10 to 80 schools of ``m`` = 10 or 40 pupils, against
        the closed forms.

    Examples
    --------
    >>> load_study("fixed_size").columns.tolist()[:5]
    ['design', 'a', 'method', 'rejection', 'mcse']
    >>> load_study("no such study")
    Traceback (most recent call last):
    ...
    ValueError: not a study name: 'no such study'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"not a study name: {name!r}")
    path = resources.files("lmmtext").joinpath("data", f"{_PREFIX}{name}{_SUFFIX}")
    if not path.is_file():
        raise ValueError(f"no study {name!r}; shipped studies: {available_studies()}")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)
