"""Inference for linear mixed models: likelihood ratio, Wald, parametric bootstrap (Chapters 10-11).

Two fits are compared through their maximised log-likelihoods ``l0`` (the null,
smaller model) and ``l1`` (the alternative).  The likelihood-ratio statistic is
``2 (l1 - l0)`` (Chapter 10, eq. ``ch10-lrt``); :func:`lrt` refers it to a chi-square
distribution with as many degrees of freedom as the alternative has extra
parameters, :func:`lrt_boundary` to the 50:50 mixture of
``chi2_0`` and ``chi2_1`` that holds when the one extra parameter is a variance
whose null value 0 lies on the boundary of the parameter space (Chapter 11, eq. ``ch11-boundary``;
Self and Liang 1987, Stram and Lee 1994; :func:`boundary_p_value` with ``df=2``
gives the mixture of ``chi2_1`` and ``chi2_2`` for a correlated random slope,
eq. ``ch11-boundary-slope``), and :func:`parametric_bootstrap` to its distribution over data
simulated from the fitted null model (:func:`simulate`, eq. ``ch11-simulate``).
:func:`wald` gives the Wald ``z`` statistics of the fixed effects (Chapter 10, eq. ``ch10-wald``).

A null model without random effects (``y ~ 1``) is fitted by :func:`ols`, whose
result has the attributes of :class:`lmmtext.lmm.LmmResult` that these
functions use, so ``lrt``, ``simulate`` and ``parametric_bootstrap`` accept it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Union

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.stats

from ._validate import check_bootstrap
from .formula import parse_formula
from .lmm import LmmResult, lmm
from .modelframe import ModelFrame, caller_namespace
from .varcomp import check_method

__all__ = [
    "BootstrapResult", "LRTResult", "OlsResult", "fit", "lrt", "lrt_boundary", "ols",
    "parametric_bootstrap", "simulate", "wald",
]


@dataclass(frozen=True, repr=False)
class OlsResult:
    """A linear model without random effects fitted by ML or REML (the value of :func:`ols`).

    Has the attributes of :class:`lmmtext.lmm.LmmResult` that the tests of this
    module use: ``formula``, ``method``, ``fixef``, ``fixef_se``, ``covariance``
    (empty), ``sigma2``, ``loglik``, ``nobs``, ``n_params`` and ``singular``.
    """

    formula: str
    method: str
    fixef: pd.Series
    fixef_se: pd.Series
    sigma2: float
    loglik: float
    nobs: int
    covariance: dict[str, pd.DataFrame]
    frame: ModelFrame
    singular: bool = False

    @property
    def n_params(self) -> int:
        """Number of parameters: the fixed effects and ``sigma``."""
        return self.fixef.size + 1

    def refit(self, y: Any) -> OlsResult:
        """Fit the same model, same rows and coding, to another response."""
        return _fit_ols(self.frame.with_response(y), self.method)

    def __repr__(self) -> str:
        return (f"OlsResult({self.formula!r}, {self.method}, loglik={self.loglik:.4f}, "
                f"sigma2={self.sigma2:.4g})")


Fit = Union[LmmResult, OlsResult]


@dataclass(frozen=True)
class LRTResult:
    """A likelihood-ratio test: the statistic, its degrees of freedom and p-value.

    ``reference`` names the distribution the p-value comes from,
    ``"chi2(df)"`` or ``"0.5 chi2(0) + 0.5 chi2(1)"``.
    """

    statistic: float
    df: int
    p_value: float
    reference: str


@dataclass(frozen=True, repr=False)
class BootstrapResult:
    """A parametric-bootstrap likelihood-ratio test (the value of :func:`parametric_bootstrap`).

    Attributes
    ----------
    statistic : float
        The observed statistic ``2 (l1 - l0)``.
    replicates : ndarray of shape (n_boot,)
        The statistic on each data set simulated from the fitted null model.
    p_value : float
        ``(1 + #{replicates >= statistic}) / (n_boot + 1)``.
    null_fit, alt_fit : fits to the observed data.
    """

    statistic: float
    replicates: np.ndarray
    p_value: float
    null_fit: Any
    alt_fit: Any

    @property
    def n_boot(self) -> int:
        return self.replicates.size

    def __repr__(self) -> str:
        return (f"BootstrapResult(statistic={self.statistic:.4f}, n_boot={self.n_boot}, "
                f"p_value={self.p_value:.4f})")


# -- fitting -------------------------------------------------------------------------------
def _check_frame(data: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")


def ols(formula: str, data: pd.DataFrame, method: str = "ML", *,
        eval_env: int | Mapping = 0) -> OlsResult:
    """Fit ``y = X beta + e``, ``e ~ N(0, sigma^2 I)``, by ML or REML (Chapter 10).

    The null model of a test for the only variance component of a model, such as
    ``Yield ~ 1`` against ``Yield ~ 1 + (1 | Batch)``.  Its log-likelihood is the
    limit of the mixed model's as the variance components go to 0:
    ``-(n/2)[1 + log(2 pi RSS/n)]`` (ML) and
    ``-(1/2){(n-p)[1 + log(2 pi RSS/(n-p))] + log|X'X|}`` (REML), as R's
    ``logLik(lm(...), REML = ...)``.

    Parameters
    ----------
    formula : str
        ``"y ~ fixed terms"`` without random-effects terms.
    data : pandas.DataFrame
    method : {"ML", "REML"}, default "ML"
    eval_env : int or mapping, default 0
        Where the formula's own functions are looked up (as :func:`lmmtext.lmm`).

    Returns
    -------
    OlsResult

    Raises
    ------
    ValueError
        If the formula has a random-effects term, names a missing column, or
        its design is rank deficient.
    TypeError
        If ``data`` is not a DataFrame or ``formula`` not a string.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> fit0 = ols("Yield ~ 1", load_dyestuff())
    >>> round(float(fit0.fixef["Intercept"]), 1), round(fit0.loglik, 4)
    (1527.5, -166.3649)
    """
    method = check_method(method)
    caller = eval_env if isinstance(eval_env, Mapping) else caller_namespace(1 + int(eval_env))
    frame = ModelFrame.build(formula, data, caller=caller)
    if frame.terms:
        raise ValueError(f"formula {formula!r} has random-effects terms; fit it with lmmtext.lmm")
    return _fit_ols(frame, method)


def _fit_ols(frame: ModelFrame, method: str) -> OlsResult:
    X, y = frame.X, frame.y
    if frame.weights is not None:
        raise ValueError("ols does not take weights")
    n, p = X.shape
    Q, R = np.linalg.qr(X)
    diag = np.abs(np.diag(R))
    if n <= p or diag.min() <= 1e-10 * max(1.0, diag.max()):
        raise ValueError(f"the fixed-effects design of {frame.formula.text!r} is rank deficient")
    beta = scipy.linalg.solve_triangular(R, Q.T @ y)
    rss = float(np.sum((y - X @ beta) ** 2))
    df = n - p if method == "REML" else n
    sigma2 = rss / df
    loglik = -0.5 * df * (1.0 + np.log(2.0 * np.pi * sigma2))
    if method == "REML":
        loglik -= float(np.log(diag).sum())
    R_inv = scipy.linalg.solve_triangular(R, np.eye(p))
    se = np.sqrt(sigma2 * np.sum(R_inv ** 2, axis=1))
    names = list(frame.fixef_names)
    return OlsResult(
        formula=frame.formula.text, method=method,
        fixef=pd.Series(beta, index=names, name="Estimate"),
        fixef_se=pd.Series(se, index=names, name="Std. Error"), sigma2=sigma2,
        loglik=float(loglik), nobs=n, covariance={}, frame=frame,
    )


def fit(formula: str, data: pd.DataFrame, method: str = "ML", *,
        eval_env: int | Mapping = 0) -> Fit:
    """Fit ``formula`` with :func:`lmmtext.lmm.lmm` if it has random-effects terms, else with :func:`ols`.

    Singular-fit warnings are silenced (the ``singular`` attribute keeps the
    information): under a null hypothesis of a zero variance half the fits are
    singular, which is expected, not a problem.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> type(fit("Yield ~ 1", load_dyestuff())).__name__
    'OlsResult'
    """
    caller = eval_env if isinstance(eval_env, Mapping) else caller_namespace(1 + int(eval_env))
    if parse_formula(formula).bars:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
            return lmm(formula, data, method=method, eval_env=caller)
    return ols(formula, data, method=method, eval_env=caller)


# -- tests ---------------------------------------------------------------------------------
def _check_pair(null_fit: Any, alt_fit: Any) -> tuple[float, int]:
    for name, f in (("null_fit", null_fit), ("alt_fit", alt_fit)):
        if not isinstance(f, (LmmResult, OlsResult)):
            raise TypeError(f"{name} must be a fit from lmm() or ols(), got {type(f).__name__}")
    if null_fit.method != alt_fit.method:
        raise ValueError(
            f"the fits use different criteria ({null_fit.method} and {alt_fit.method}); "
            "refit both by ML (or both by REML with the same fixed effects)"
        )
    if null_fit.nobs != alt_fit.nobs:
        raise ValueError(f"the fits use different data ({null_fit.nobs} and {alt_fit.nobs} observations)")
    if null_fit.method == "REML" and list(null_fit.fixef.index) != list(alt_fit.fixef.index):
        raise ValueError(
            "REML likelihoods of models with different fixed effects are likelihoods of different "
            "error contrasts and cannot be compared; refit both models with method='ML'"
        )
    df = alt_fit.n_params - null_fit.n_params
    if df <= 0:
        raise ValueError(
            f"alt_fit must have more parameters than null_fit (got {alt_fit.n_params} and "
            f"{null_fit.n_params}); pass the smaller model first"
        )
    stat = 2.0 * (alt_fit.loglik - null_fit.loglik)
    if stat < -1e-4 * max(1.0, abs(alt_fit.loglik)):
        warnings.warn(
            f"the larger model has the smaller log-likelihood (2*(l1 - l0) = {stat:.4g}); "
            "its optimisation stopped short or the models are not nested",
            UserWarning, stacklevel=3,
        )
    return max(stat, 0.0), df


def lrt(null_fit: Fit, alt_fit: Fit) -> LRTResult:
    """Likelihood-ratio test of nested fits against ``chi2(df)`` (Chapter 10, eq. ``ch10-lrt``).

    The statistic is ``2 (l1 - l0)`` and ``df`` the difference in numbers of
    parameters (fixed effects, ``theta`` and ``sigma``).  A round-off negative
    statistic is reported as 0.

    Parameters
    ----------
    null_fit, alt_fit : LmmResult or OlsResult
        The smaller and the larger model, fitted to the same data by the same
        criterion.  To compare fixed effects both must be ML fits.

    Returns
    -------
    LRTResult

    Raises
    ------
    ValueError
        If the criteria or numbers of observations differ, REML fits have
        different fixed effects, or ``alt_fit`` has no more parameters.
    TypeError
        If a fit is not a fit.

    Examples
    --------
    >>> from lmmtext.datasets import load_sleepstudy
    >>> s = load_sleepstudy()
    >>> m0 = fit("Reaction ~ 1 + (Days | Subject)", s, method="ML")
    >>> m1 = fit("Reaction ~ Days + (Days | Subject)", s, method="ML")
    >>> t = lrt(m0, m1)
    >>> round(t.statistic, 2), t.df, t.p_value < 1e-5
    (23.54, 1, True)
    """
    stat, df = _check_pair(null_fit, alt_fit)
    return LRTResult(statistic=stat, df=df, p_value=float(scipy.stats.chi2.sf(stat, df)),
                     reference=f"chi2({df})")


def boundary_p_value(statistic: float, df: int = 1) -> float:
    """``P(T >= t)`` for ``T ~ 0.5 chi2_{df-1} + 0.5 chi2_df`` (Chapter 11, eq. ``ch11-boundary-slope``).

    With ``df = 1`` (one variance, uncorrelated with the other random effects)
    this is ``0.5 P(chi2_1 >= t)`` for ``t > 0`` and 1 for ``t = 0`` (the atom
    of ``chi2_0`` at 0).  With ``df = q + 1`` it is the limit when the
    alternative adds one variance and its ``q`` covariances with random effects
    already in the model, for example ``(1 | g)`` against ``(1 + x | g)`` with
    ``df = 2`` (Stram and Lee 1994).

    Parameters
    ----------
    statistic : float
        The likelihood-ratio statistic ``T >= 0``.
    df : int, default 1
        The number of parameters the alternative adds.

    Raises
    ------
    ValueError
        If the statistic is negative or not finite, or ``df`` is not a positive integer.

    Examples
    --------
    >>> round(boundary_p_value(3.8415), 4), boundary_p_value(0.0)
    (0.025, 1.0)
    >>> round(boundary_p_value(5.1380, df=2), 4)
    0.05
    """
    t = float(statistic)
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"statistic must be a finite non-negative number, got {statistic}")
    if isinstance(df, bool) or not isinstance(df, (int, np.integer)) or df < 1:
        raise ValueError(f"df must be a positive integer, got {df!r}")
    if t == 0:
        return 1.0
    lower = scipy.stats.chi2.sf(t, df - 1) if df > 1 else 0.0
    return float(0.5 * lower + 0.5 * scipy.stats.chi2.sf(t, df))


def _random_parameters(f: Fit) -> tuple[set[str], set[frozenset[str]]]:
    """The variances (``"coef|group"``) and covariances (pairs of them) a fit estimates."""
    if isinstance(f, OlsResult):
        return set(), set()
    variances, covariances = set(), set()
    for term in f.system.terms:
        names = [f"{c}|{term.name}" for c in term.cnames]
        variances.update(names)
        covariances.update(frozenset((a, b)) for i, a in enumerate(names) for b in names[:i])
    return variances, covariances


def lrt_boundary(null_fit: Fit, alt_fit: Fit) -> LRTResult:
    """LRT of one variance component that is 0 under the null (Chapter 11, eq. ``ch11-boundary``).

    The null value lies on the boundary of the parameter space, so the
    statistic is asymptotically the 50:50 mixture of ``chi2_0`` (a point mass
    at 0) and ``chi2_1``: ``p = 0.5 P(chi2_1 >= t)`` (Self and Liang 1987;
    Stram and Lee 1994).  The fits may be REML fits when they share their
    fixed effects.

    Parameters
    ----------
    null_fit, alt_fit : LmmResult or OlsResult
        ``alt_fit`` has exactly one more parameter: one variance (a diagonal
        element of some ``T_k``), uncorrelated with the other random effects.

    Returns
    -------
    LRTResult
        With ``df = 1`` and the mixture p-value.

    Raises
    ------
    ValueError
        As :func:`lrt`; if the fits differ by more than one parameter; and if the
        extra parameter is not a variance: the fits must have the same fixed
        effects, and the random effects of ``alt_fit`` must be those of
        ``null_fit`` plus one variance without covariances (a fixed effect or a
        correlation has its null value inside the parameter space, where
        halving the p-value would be wrong; use :func:`lrt`).

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> d = load_dyestuff()
    >>> t = lrt_boundary(fit("Yield ~ 1", d), fit("Yield ~ 1 + (1 | Batch)", d))
    >>> round(t.statistic, 4), round(t.p_value, 4)
    (5.4028, 0.0101)
    """
    stat, df = _check_pair(null_fit, alt_fit)
    if df != 1:
        raise ValueError(
            f"the fits differ by {df} parameters; the 50:50 mixture holds for one variance "
            "component (use lrt or parametric_bootstrap otherwise)"
        )
    if sorted(null_fit.fixef.index) != sorted(alt_fit.fixef.index):
        raise ValueError(
            "the fits differ in their fixed effects, so the extra parameter is not a variance; "
            "its null value is inside the parameter space: use lrt (chi2(1)), not the mixture"
        )
    var0, cov0 = _random_parameters(null_fit)
    var1, cov1 = _random_parameters(alt_fit)
    if not (var0 < var1 and len(var1 - var0) == 1 and cov0 == cov1):
        raise ValueError(
            "the extra parameter of alt_fit is not one variance added to null_fit's random "
            f"effects (variances {sorted(var0)} -> {sorted(var1)}, covariances "
            f"{sorted(map(sorted, cov0))} -> {sorted(map(sorted, cov1))}); the 50:50 mixture "
            "does not apply: use lrt or parametric_bootstrap"
        )
    return LRTResult(statistic=stat, df=1, p_value=boundary_p_value(stat),
                     reference="0.5 chi2(0) + 0.5 chi2(1)")


def wald(fit_result: Fit) -> pd.DataFrame:
    """Wald ``z`` statistics ``beta_hat / se`` of the fixed effects, two-sided normal p-values (``ch10-wald``).

    The standard errors treat the estimated variance components as known, so
    the p-values are too small in small samples.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> w = wald(fit("Yield ~ 1 + (1 | Batch)", load_dyestuff(), method="REML"))
    >>> round(float(w.loc["Intercept", "z"]), 2)
    78.8
    """
    if not isinstance(fit_result, (LmmResult, OlsResult)):
        raise TypeError(f"fit_result must be a fit from lmm() or ols(), got {type(fit_result).__name__}")
    z = fit_result.fixef / fit_result.fixef_se
    return pd.DataFrame({"estimate": fit_result.fixef, "se": fit_result.fixef_se, "z": z,
                         "p_value": 2.0 * scipy.stats.norm.sf(np.abs(z))})


# -- simulation ----------------------------------------------------------------------------
def _sqrt_psd(C: np.ndarray) -> np.ndarray:
    """``A`` with ``A A' = C`` for a symmetric positive semi-definite ``C`` (eigenvalues clipped at 0)."""
    w, V = scipy.linalg.eigh(C)
    return V * np.sqrt(np.clip(w, 0.0, None))


def simulate(fit_result: Fit, data: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Draw a response from a fitted model on the rows of ``data`` (Chapter 11, eq. ``ch11-simulate``).

    ``y* = X beta_hat + sum_k Z_k b*_k + e*`` with ``b*`` drawn level by level
    from ``N(0, Sigma_k)`` (``Sigma_k = fit.covariance[k]``) and
    ``e* ~ N(0, sigma2_hat W^{-1})``.  ``X`` and ``Z_k`` are built from the
    columns of ``data`` with the fit's own coding (its model frame: factor
    levels, contrasts, ``scale`` centres, the caller's functions), so ``data``
    need not be the data of the fit, nor hold the response, and a model fitted
    to 18 subjects can simulate 1,000 new ones.  Precision weights are those
    of the fit, and so is a residual structure (Chapter 15: the errors are drawn
    with covariance ``sigma^2 S C S``), so ``data`` must then be the fit's rows.

    Parameters
    ----------
    fit_result : LmmResult or OlsResult
    data : pandas.DataFrame
        Holds the columns the fixed and random parts of the formula use.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (len(data),)

    Raises
    ------
    ValueError
        If ``data`` lacks a column, a fixed-effect factor has a level the fit
        has not seen, or the fit has weights and ``data`` has another number
        of rows.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> d = load_dyestuff()
    >>> y = simulate(fit("Yield ~ 1 + (1 | Batch)", d), d, np.random.default_rng(1))
    >>> y.shape
    (30,)
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return _draw(_simulation_design(fit_result, data), rng)


@dataclass(frozen=True)
class _SimDesign:
    """What :func:`simulate` needs, computed once: ``X beta``, the residual SDs and, per factor,
    the level codes, the columns of ``Z`` and a square root ``A`` of the covariance."""

    mean: np.ndarray
    sd: np.ndarray
    factors: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    residual: Any = None
    residual_z: Any = None


def _simulation_design(fit_result: Fit, data: pd.DataFrame) -> _SimDesign:
    if not isinstance(fit_result, (LmmResult, OlsResult)):
        raise TypeError(f"fit_result must be a fit from lmm() or ols(), got {type(fit_result).__name__}")
    _check_frame(data)
    frame = fit_result.frame
    mean = frame.fixed_matrix(data) @ fit_result.fixef.to_numpy()
    sd = np.full(len(data), np.sqrt(fit_result.sigma2))
    residual = getattr(fit_result, "residual", None)
    if (frame.weights is not None or residual is not None) and len(data) != frame.n:
        raise ValueError("a fit with weights or a residual structure simulates on its own rows only")
    if frame.weights is not None:
        sd = sd / np.sqrt(frame.weights)
    # Per grouping factor: codes and the columns of all its terms (uncorrelated terms share a factor).
    groups: dict[str, tuple[np.ndarray, list[np.ndarray], list[str]]] = {}
    for part in frame.random_parts(data):
        codes, _ = pd.factorize(pd.Series(part.labels, dtype=object))
        entry = groups.setdefault(part.name, (codes, [], []))
        entry[1].append(part.values)
        entry[2].extend(part.cnames)
    factors = []
    for name, (codes, blocks, cnames) in groups.items():
        cov = fit_result.covariance[name].loc[cnames, cnames].to_numpy()
        factors.append((codes, np.column_stack(blocks), _sqrt_psd(cov)))
    return _SimDesign(mean=mean, sd=sd, factors=factors, residual=residual,
                      residual_z=getattr(fit_result, "residual_z", None))


def _draw(design: _SimDesign, rng: np.random.Generator) -> np.ndarray:
    y = design.mean.copy()
    for codes, values, A in design.factors:
        b = rng.standard_normal((codes.max() + 1, A.shape[0])) @ A.T
        y += np.sum(values * b[codes], axis=1)
    e = rng.standard_normal(y.size)
    if design.residual is not None:  # errors with covariance S C S (Chapter 15)
        e = design.residual.correlated(design.residual_z, e)
    return y + design.sd * e


def parametric_bootstrap(
    null_formula: str, alt_formula: str, data: pd.DataFrame, n_boot: int,
    rng: np.random.Generator, method: str = "ML",
) -> BootstrapResult:
    """Parametric-bootstrap likelihood-ratio test of nested models (Chapters 10-11, eq. ``ch11-boot-p``).

    Fit both models; then ``n_boot`` times draw a response from the fitted
    null model (:func:`simulate`), refit both models to it (through their
    model frames: the formula is not parsed again) and record
    ``2 (l1* - l0*)``.  The p-value is ``(1 + #{T* >= T}) / (n_boot + 1)``
    (Davison and Hinkley 1997, ch. 4), never 0.

    Parameters
    ----------
    null_formula, alt_formula : str
        The null formula may have no random-effects term (fitted by :func:`ols`).
    data : pandas.DataFrame
    n_boot : int
        Number of simulated data sets, at least 1.
    rng : numpy.random.Generator
    method : {"ML", "REML"}, default "ML"

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        If ``n_boot < 1``, or as :func:`lrt`.
    TypeError
        If ``n_boot`` is not an integer or ``rng`` not a Generator.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> res = parametric_bootstrap("Yield ~ 1", "Yield ~ 1 + (1 | Batch)",
    ...                            load_dyestuff(), 5, np.random.default_rng(1))
    >>> res.replicates.shape, 0 < res.p_value <= 1
    ((5,), True)
    """
    check_bootstrap(n_boot, rng)
    _check_frame(data)
    caller = caller_namespace(1)
    null_fit = fit(null_formula, data, method, eval_env=caller)
    alt_fit = fit(alt_formula, data, method, eval_env=caller)
    stat, _ = _check_pair(null_fit, alt_fit)
    replicates = np.empty(int(n_boot))
    design = _simulation_design(null_fit, data)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
        for k in range(int(n_boot)):
            y = _draw(design, rng)
            replicates[k] = max(2.0 * (alt_fit.refit(y).loglik - null_fit.refit(y).loglik), 0.0)
    p_value = (1.0 + np.sum(replicates >= stat)) / (n_boot + 1.0)
    return BootstrapResult(statistic=stat, replicates=replicates, p_value=float(p_value),
                           null_fit=null_fit, alt_fit=alt_fit)
