"""The real data sets the book fits, shipped as small CSV files in ``lmmtext/data``.

Each loader returns a fresh :class:`pandas.DataFrame` with lme4's column names;
grouping columns are :class:`pandas.Categorical` with the levels in lme4's order.
The lme4 data were exported from lme4 1.1-31 (R 4.2.2) with ``write.csv``.
"""
from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_baseball", "load_dyestuff", "load_dyestuff2", "load_penicillin", "load_sleepstudy"]


def _read(name: str, categorical: list[str], dtype: dict[str, type] | None = None) -> pd.DataFrame:
    with resources.files("lmmtext").joinpath("data", name).open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={c: str for c in categorical} | (dtype or {}))
    for col in categorical:
        frame[col] = pd.Categorical(frame[col], categories=sorted(frame[col].unique()))
    return frame


def load_dyestuff() -> pd.DataFrame:
    """Yield of dyestuff from 6 batches of an intermediate product, 5 preparations each.

    Columns ``Batch`` (categorical, ``A``-``F``) and ``Yield`` (grams of standard
    colour), 30 rows.  Used for the one-way random-effects model
    ``Yield ~ 1 + (1 | Batch)``.

    Source: Davies, O. L. and Goldsmith, P. L. (eds.) (1972), *Statistical Methods in
    Research and Production*, 4th ed., Oliver and Boyd, Table 6.3 (p. 131); as lme4's
    ``Dyestuff`` (Bates, Maechler, Bolker and Walker 2015, *J. Stat. Softw.* 67(1)).

    Examples
    --------
    >>> d = load_dyestuff()
    >>> d.shape, list(d.columns), d["Batch"].cat.categories.tolist()
    ((30, 2), ['Batch', 'Yield'], ['A', 'B', 'C', 'D', 'E', 'F'])
    """
    return _read("dyestuff.csv", ["Batch"], {"Yield": float})


def load_dyestuff2() -> pd.DataFrame:
    """Simulated data with the design of :func:`load_dyestuff`, made to give a zero batch variance.

    Columns ``Batch`` (categorical, ``A``-``F``) and ``Yield``, 30 rows.  The REML and
    ML estimates of the between-batch variance are 0: the standard example of a
    singular (boundary) fit.

    Source: Box, G. E. P. and Tiao, G. C. (1973), *Bayesian Inference in Statistical
    Analysis*, Addison-Wesley, Table 5.1.4; as lme4's ``Dyestuff2``.

    Examples
    --------
    >>> round(float(load_dyestuff2()["Yield"].mean()), 4)
    5.6656
    """
    return _read("dyestuff2.csv", ["Batch"], {"Yield": float})


def load_sleepstudy() -> pd.DataFrame:
    """Average reaction time per day of 18 subjects under sleep deprivation (days 0-9).

    Columns ``Reaction`` (ms), ``Days`` (of sleep deprivation, 0-9) and ``Subject``
    (categorical, ``"308"``, ..., ``"372"``), 180 rows.  Used for random intercepts
    and slopes, ``Reaction ~ Days + (Days | Subject)``.

    Source: Belenky, G. et al. (2003), Patterns of performance degradation and
    restoration during sleep restriction and subsequent recovery: a sleep
    dose-response study, *Journal of Sleep Research* 12, 1-12 (the 3-hour group);
    as lme4's ``sleepstudy``.

    Examples
    --------
    >>> s = load_sleepstudy()
    >>> s.shape, s["Subject"].nunique(), int(s["Days"].max())
    ((180, 3), 18, 9)
    """
    return _read("sleepstudy.csv", ["Subject"], {"Reaction": float, "Days": int})


def load_penicillin() -> pd.DataFrame:
    """Diameter of the growth-inhibition zone of 6 penicillin samples on 24 plates.

    Columns ``diameter`` (mm), ``plate`` (categorical, ``a``-``x``) and ``sample``
    (categorical, ``A``-``F``), 144 rows: every sample on every plate, a fully
    crossed design, ``diameter ~ 1 + (1 | plate) + (1 | sample)``.

    Source: Davies, O. L. and Goldsmith, P. L. (eds.) (1972), *Statistical Methods in
    Research and Production*, 4th ed., Oliver and Boyd, Table 6.6 (p. 144); as lme4's
    ``Penicillin``.

    Examples
    --------
    >>> p = load_penicillin()
    >>> p.shape, p["plate"].nunique(), p["sample"].nunique()
    ((144, 3), 24, 6)
    """
    return _read("penicillin.csv", ["plate", "sample"], {"diameter": float})


def load_baseball() -> pd.DataFrame:
    """Batting averages of 18 major-league players in 1970: first 45 at-bats and the rest of the season.

    Columns: ``name`` (last name, as in the table), ``team``, ``league``, ``hits``
    (in the first 45 at-bats), ``at_bats`` (45 for everyone), ``rest_at_bats``
    (at-bats in the remainder of the season) and ``rest_avg`` (batting average
    over the remainder of the season, three decimals as printed).  The classic
    example of shrinkage (James-Stein / empirical Bayes): ``hits / at_bats``
    predicts ``rest_avg`` worse than the estimates shrunk towards the mean.

    Source: Efron, B. and Morris, C. (1975), Data analysis using Stein's estimator
    and its generalizations, *Journal of the American Statistical Association*
    70, 311-319, Table 1; as distributed in the R package pscl 1.5.5
    (``EfronMorris``), which these values reproduce.  Checked against the
    ``bball1970`` data of rstanarm 2.21.3: the first-45 hits agree for all 18
    players; the rest-of-season figures agree except for Kessinger (rstanarm's
    155/586 = .265, the table .263) and Williams (the table's Chicago AL player,
    270 at-bats, .256; rstanarm used another Williams' counts).

    Examples
    --------
    >>> b = load_baseball()
    >>> clemente = b.set_index("name").loc["Clemente"]
    >>> int(clemente["hits"]), int(clemente["at_bats"]), float(clemente["rest_avg"])
    (18, 45, 0.346)
    """
    return _read("baseball.csv", ["team", "league"], {"name": str, "rest_avg": float})


def load_pastes() -> pd.DataFrame:
    """Strength of a chemical paste: 10 batches, 3 casks per batch, 2 assays per cask.

    Columns ``strength`` (of the paste), ``batch`` (categorical, ``A``-``J``),
    ``cask`` (categorical, ``a``-``c``: the labels repeat in every batch, so cask
    ``a`` of batch ``A`` and cask ``a`` of batch ``B`` are different casks) and
    ``sample`` (categorical, ``"A:a"``, ..., ``"J:c"``, the 30 casks), 60 rows.
    Casks are nested in batches: ``strength ~ 1 + (1 | batch/cask)``, which
    equals ``(1 | batch) + (1 | batch:cask)`` and ``(1 | batch) + (1 | sample)``.

    Source: Davies, O. L. and Goldsmith, P. L. (eds.) (1972), *Statistical Methods in
    Research and Production*, 4th ed., Oliver and Boyd, section 6.5; as lme4's
    ``Pastes`` (exported from lme4 1.1-31, R 4.2.2, with ``write.csv``, 2026-11-25).

    Examples
    --------
    >>> p = load_pastes()
    >>> p.shape, p["batch"].nunique(), p["cask"].nunique(), p["sample"].nunique()
    ((60, 4), 10, 3, 30)
    """
    return _read("pastes.csv", ["batch", "cask", "sample"], {"strength": float})


__all__.append("load_pastes")


# -- mlmRev: Exam and ScotsSec (model checking, building a model, prediction) ---------------

def _read_factors(name: str, levels: dict[str, list[str] | None],
                  dtype: dict[str, type] | None = None) -> pd.DataFrame:
    """Read a CSV; factor columns get R's levels (given, or ``None``: numeric labels in numeric order)."""
    with resources.files("lmmtext").joinpath("data", name).open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={c: str for c in levels} | (dtype or {}))
    for col, order in levels.items():
        if order is None:
            order = sorted(frame[col].unique(), key=int)
        frame[col] = pd.Categorical(frame[col], categories=order)
    return frame


_BANDS = ["bottom 25%", "mid 50%", "top 25%"]


def load_exam() -> pd.DataFrame:
    """Exam scores at 16 of 4,059 pupils in 65 inner-London schools, with their intake scores at 11.

    Columns, as in R's ``mlmRev::Exam`` (4,059 rows, no missing values):

    - ``school`` (categorical, ``"1"``-``"65"``): school ID;
    - ``normexam``: normalised exam score at 16 (GCSE and O-level, normal scores);
    - ``schgend`` (categorical, ``mixed``, ``boys``, ``girls``): the school's gender;
    - ``schavg``: the school's average intake score (``standLRT``);
    - ``vr`` (categorical, ``bottom 25%``, ``mid 50%``, ``top 25%``): the school's
      verbal-reasoning band at intake;
    - ``intake`` (categorical, the same three bands): the pupil's band of intake score;
    - ``standLRT``: the pupil's standardised London Reading Test score at 11;
    - ``sex`` (categorical, ``F``, ``M``);
    - ``type`` (categorical, ``Mxd``, ``Sngl``): mixed or single-sex school;
    - ``student`` (categorical, 650 levels ``"1"``-``"913"``): pupil ID *within*
      school, so the same label in two schools is two pupils.

    Factor levels are in R's order (the first is lme4's reference level), so
    ``lmm`` codes them as ``lmer`` does.  Used in Chapter 12, Model checking,
    and in the chapter on building a model.

    Source: Goldstein, H., Rasbash, J. et al. (1993), A multilevel analysis of
    school examination results, *Oxford Review of Education* 19, 425-433; the
    data of the Centre for Multilevel Modelling's software review
    (http://www.bristol.ac.uk/cmm/learning/mmsoftware/data-rev.html), as
    distributed in the R package mlmRev 1.0-8 (Bates, Maechler and Bolker;
    GPL (>= 2)); exported with ``write.csv`` from R 4.2.2 by
    ``tests/r/export_mlmrev.R``.

    Examples
    --------
    >>> e = load_exam()
    >>> e.shape, e["school"].nunique(), e["schgend"].cat.categories.tolist()
    ((4059, 10), 65, ['mixed', 'boys', 'girls'])
    """
    return _read_factors(
        "exam.csv",
        {"school": None, "schgend": ["mixed", "boys", "girls"], "vr": _BANDS, "intake": _BANDS,
         "sex": ["F", "M"], "type": ["Mxd", "Sngl"], "student": None},
        {"normexam": float, "schavg": float, "standLRT": float},
    )


def load_scotssec() -> pd.DataFrame:
    """Attainment at 16 of 3,435 Scottish pupils classified by 148 primary and 19 secondary schools.

    Columns, as in R's ``mlmRev::ScotsSec`` (3,435 rows, no missing values):

    - ``verbal``: verbal-reasoning score on entry to secondary school;
    - ``attain``: score on the standardised test at 16 (1-10);
    - ``primary`` (categorical, ``"1"``-``"148"``): the primary school attended;
    - ``sex`` (categorical, ``M``, ``F``: R's order, so ``M`` is the reference);
    - ``social``: social class on a numeric scale from low to high;
    - ``second`` (categorical, ``"1"``-``"19"``): the secondary school attended.

    Pupils of one primary school go to several secondary schools and the reverse:
    the two school factors are crossed, not nested, e.g.
    ``attain ~ verbal + sex + (1 | primary) + (1 | second)``.  Used in the chapter
    on prediction and a crossed design on real data.

    Source: Paterson, L. (1991), Socio-economic status and educational attainment:
    a multidimensional and multilevel study, *Evaluation and Research in
    Education* 5, 97-121; the data of the Centre for Multilevel Modelling's
    software review (http://www.bristol.ac.uk/cmm/learning/mmsoftware/data-rev.html),
    as distributed in the R package mlmRev 1.0-8 (Bates, Maechler and Bolker;
    GPL (>= 2)); exported with ``write.csv`` from R 4.2.2 by
    ``tests/r/export_mlmrev.R``.

    Examples
    --------
    >>> s = load_scotssec()
    >>> s.shape, s["primary"].nunique(), s["second"].nunique()
    ((3435, 6), 148, 19)
    """
    return _read_factors(
        "scotssec.csv",
        {"primary": None, "sex": ["M", "F"], "second": None},
        {"verbal": float, "attain": float, "social": float},
    )


__all__ += ["load_exam", "load_scotssec"]


# -- nlme: longitudinal data with serial correlation or unequal variances (Chapter 15) -----
_NLME_SOURCE = (
    "Pinheiro, J. C. and Bates, D. M. (2000), *Mixed-Effects Models in S and S-PLUS*, "
    "Springer; as distributed in the R package nlme 3.1-162 (Pinheiro, Bates and R Core; "
    "GPL (>= 2)), exported with ``write.csv`` from R 4.2.2 by ``tests/r/nlme_residual.R``"
)


def load_bodyweight() -> pd.DataFrame:
    """Body weights of 16 rats on three diets, measured over 64 days (nlme's ``BodyWeight``).

    Columns: ``weight`` (g), ``Time`` (days: 1, 8, 15, 22, 29, 36, 43, 44, 50,
    57, 64; unequally spaced), ``Rat`` (categorical, ``"1"``-``"16"`` in numeric
    order; nlme orders the levels by mean weight, which changes no fit) and
    ``Diet`` (categorical, ``"1"``, ``"2"``, ``"3"``).  176 rows.  Used in
    Chapter 15 (continuous-time AR(1) errors).

    Source: Hand, D. J. and Crowder, M. J. (1996), *Practical Longitudinal Data
    Analysis*, Chapman and Hall, table A.2; {source}.

    Examples
    --------
    >>> d = load_bodyweight()
    >>> d.shape, d["Rat"].nunique(), d["Time"].unique()[:3].tolist()
    ((176, 4), 16, [1, 8, 15])
    """
    return _read_factors("bodyweight.csv", {"Rat": None, "Diet": ["1", "2", "3"]}, {"weight": float})


def load_ovary() -> pd.DataFrame:
    """Counts of large ovarian follicles of 11 mares over their estrus cycles (nlme's ``Ovary``).

    Columns: ``Mare`` (categorical, ``"1"``-``"11"`` in numeric order),
    ``Time`` (time in the estrus cycle, scaled so that ovulation is at 0 and 1),
    ``follicles`` (number of follicles larger than 10 mm).  308 rows, rows in
    time order within each mare, equally spaced in days.  Used in Chapter 15
    (AR(1) errors).

    Source: Pierson, R. A. and Ginther, O. J. (1987), Follicular population
    dynamics during the estrous cycle of the mare, *Animal Reproduction Science*
    14, 219-231; {source}.

    Examples
    --------
    >>> d = load_ovary()
    >>> d.shape, d["Mare"].nunique()
    ((308, 3), 11)
    """
    return _read_factors("ovary.csv", {"Mare": None}, {"follicles": float})


def load_orthodont() -> pd.DataFrame:
    """Distance from the pituitary to the pterygomaxillary fissure in 27 children (nlme's ``Orthodont``).

    Columns: ``distance`` (mm), ``age`` (8, 10, 12, 14 years), ``Subject``
    (categorical, ``"F01"``-``"F11"``, ``"M01"``-``"M16"``, sorted), ``Sex``
    (categorical, ``"Male"``, ``"Female"``: nlme's level order, so ``Male`` is
    the reference level and the first level of a ``VarIdent`` structure).
    108 rows.  Used in Chapter 15 (unequal error variances).

    Source: Potthoff, R. F. and Roy, S. N. (1964), A generalized multivariate
    analysis of variance model useful especially for growth curve problems,
    *Biometrika* 51, 313-326; {source}.

    Examples
    --------
    >>> d = load_orthodont()
    >>> d.shape, d["Sex"].cat.categories.tolist()
    ((108, 4), ['Male', 'Female'])
    """
    frame = _read_factors("orthodont.csv", {"Sex": ["Male", "Female"]}, {"distance": float})
    frame["Subject"] = pd.Categorical(frame["Subject"], categories=sorted(frame["Subject"].unique()))
    return frame


for _f in (load_bodyweight, load_ovary, load_orthodont):
    _f.__doc__ = _f.__doc__.replace("{source}", _NLME_SOURCE)
__all__ += ["load_bodyweight", "load_ovary", "load_orthodont"]
