"""Fitting linear mixed models from lme4 formulae (Chapters 7-9; computation in Chapter 11).

:func:`lmm` is the book's ``lmer``: it reads an lme4 formula
(:mod:`lmmtext.formula`), builds one :class:`~lmmtext.remat.ReMat` per
random-effects term, and maximises the profiled (restricted) log-likelihood of
Bates, Maechler, Bolker & Walker (2015) with the blocked penalised least squares
of :mod:`lmmtext.pls`, the same core as :func:`lmmtext.varcomp.fit_varcomp`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import formulae
import numpy as np
import pandas as pd

from ._validate import check_full_column_rank
from .formula import ParsedFormula, expand_factor, parse_formula
from .pls import PLS, SINGULAR_TOL, OptSummary, optimize_theta
from .remat import ReMat
from .varcomp import check_method

__all__ = ["LmmResult", "lmm"]


class Summary(str):
    """The text of :meth:`LmmResult.summary`; it shows as a table, not a quoted string."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, repr=False)
class LmmResult:
    """A fitted linear mixed model (the value of :func:`lmm`).

    Attributes
    ----------
    formula : str
    method : {"REML", "ML"}
    fixef : pandas.Series
        Fixed-effects estimates ``beta_hat``; the intercept is named ``"Intercept"``.
    fixef_se : pandas.Series
        Their standard errors, ``sqrt(diag(vcov))`` as lme4's ``vcov``.
    vcov : pandas.DataFrame
        ``sigma^2 (R_X' R_X)^{-1}``, the estimated covariance of ``beta_hat``.
    covariance : dict of str to pandas.DataFrame
        For each grouping factor, the estimated covariance matrix of its random
        effects, rows and columns named by coefficient (``"Intercept"``, ``"Days"``).
        A factor in two uncorrelated terms, e.g. ``(1 | g) + (0 + x | g)``, has one
        matrix with zero covariance between the terms.  ``(1 | g1/g2)`` gives keys
        ``"g1"`` and ``"g1:g2"``.
    sigma2 : float
        Residual variance.
    loglik : float
        The maximised log-likelihood (ML fits) or restricted log-likelihood
        (REML fits), as lme4's ``logLik``.
    deviance : float
        ``-2`` times the ML log-likelihood at the fitted ``theta`` (for an ML fit,
        ``-2 * loglik``; for a REML fit, lme4's ``deviance(fit, REML = FALSE)``).
    reml_criterion : float
        ``-2`` times the REML log-likelihood at the fitted ``theta`` (for a REML
        fit, ``-2 * loglik``; lme4's ``REMLcrit``).
    ranef : dict of str to pandas.DataFrame
        Conditional modes (BLUPs) of the random effects, one row per level.
    fitted, resid : ndarray of shape (n,)
        ``X beta_hat + Z b_hat`` and ``y - fitted``.
    theta : ndarray
        The relative covariance parameters, term by term (lme4's ``getME(fit, "theta")``).
    converged : bool
    singular : bool
        Whether a diagonal element of some ``T_k`` is below ``1e-4`` (lme4's
        ``isSingular``): a variance, or a combination of them, on the boundary.
    nobs : int
    optsummary : lmmtext.pls.OptSummary
        Start, bounds, number of evaluations and final criterion.
    system : lmmtext.pls.PLS
        The penalised least-squares system the fit was computed from (rows of
        ``X``, ``y`` and ``Z`` multiplied by ``sqrt(w_i)`` when there are
        weights), so that inference and refits need not rebuild the design.
    """

    formula: str
    method: str
    fixef: pd.Series
    fixef_se: pd.Series
    vcov: pd.DataFrame
    covariance: dict[str, pd.DataFrame]
    sigma2: float
    loglik: float
    deviance: float
    reml_criterion: float
    ranef: dict[str, pd.DataFrame]
    fitted: np.ndarray
    resid: np.ndarray
    theta: np.ndarray
    converged: bool
    singular: bool
    nobs: int
    optsummary: OptSummary
    n_levels: dict[str, int]
    system: PLS

    @property
    def n_params(self) -> int:
        """Number of parameters: fixed effects, ``theta`` and ``sigma``."""
        return self.fixef.size + self.theta.size + 1

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 k`` (as lme4's ``AIC``)."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """``-2 loglik + k log(n)`` (as lme4's ``BIC``)."""
        return -2.0 * self.loglik + self.n_params * np.log(self.nobs)

    def summary(self) -> Summary:
        """An lme4-style summary: criterion, scaled residuals, random and fixed effects."""
        lines = []
        if self.method == "REML":
            lines += ["Linear mixed model fit by REML", f"Formula: {self.formula}", "",
                      f"REML criterion at convergence: {self.reml_criterion:.1f}", ""]
        else:
            stats = pd.DataFrame(
                [[self.aic, self.bic, self.loglik, self.deviance, self.nobs - self.n_params]],
                columns=["AIC", "BIC", "logLik", "deviance", "df.resid"],
            )
            lines += ["Linear mixed model fit by maximum likelihood", f"Formula: {self.formula}", "",
                      stats.to_string(index=False, float_format=lambda v: f"{v:.1f}"), ""]
        scaled = self.resid / np.sqrt(self.sigma2)
        q = np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1])
        quart = pd.DataFrame([q], columns=["Min", "1Q", "Median", "3Q", "Max"])
        quart_text = quart.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        lines += ["Scaled residuals:", quart_text, ""]
        lines += ["Random effects:", self._random_table(),
                  f"Number of obs: {self.nobs}, groups: "
                  + ", ".join(f"{g}, {m}" for g, m in self.n_levels.items()), ""]
        fixed = pd.DataFrame({"Estimate": self.fixef, "Std. Error": self.fixef_se,
                              "t value": self.fixef / self.fixef_se})
        formats = {"Estimate": "{:.6g}".format, "Std. Error": "{:.4g}".format,
                   "t value": "{:.2f}".format}
        lines += ["Fixed effects:", fixed.to_string(formatters=formats)]
        if self.singular:
            lines += ["", "boundary (singular) fit"]
        return Summary("\n".join(lines))

    def _random_table(self) -> str:
        rows = []
        for group, cov in self.covariance.items():
            sd = np.sqrt(np.diag(cov.to_numpy()))
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = cov.to_numpy() / np.outer(sd, sd)
            for k, name in enumerate(cov.index):
                corr_txt = " ".join(f"{c:5.2f}" for c in corr[k, :k])
                rows.append([group if k == 0 else "", name, f"{cov.iat[k, k]:.4g}", f"{sd[k]:.4g}",
                             corr_txt])
        rows.append(["Residual", "", f"{self.sigma2:.4g}", f"{np.sqrt(self.sigma2):.4g}", ""])
        header = ["Groups", "Name", "Variance", "Std.Dev.", "Corr"]
        if not any(row[4] for row in rows):
            header, rows = header[:4], [row[:4] for row in rows]
        widths = [max(len(str(r[c])) for r in [header] + rows) for c in range(len(header))]
        return "\n".join(
            " " + " ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip()
            for r in [header] + rows
        )

    def __repr__(self) -> str:
        return str(self.summary())


def _check_data(formula: str, data: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    try:
        desc = formulae.model_description(formula)
    except Exception as exc:  # formulae raises its own parse errors
        raise ValueError(f"cannot parse formula {formula!r}: {exc}") from exc
    used = sorted(v for v in desc.var_names if v)
    missing = [v for v in used if v not in data.columns]
    if missing:
        raise ValueError(
            f"formula names column(s) {missing} not found in data (columns: {list(data.columns)})"
        )
    na = data[used].isna()
    if na.to_numpy().any():
        per_column = {c: int(k) for c, k in na.sum().items() if k}
        raise ValueError(
            f"{int(na.any(axis=1).sum())} row(s) have missing values (NaN) in the columns used: "
            f"{per_column}; lmm does not drop rows silently, remove or impute them first"
        )
    for v in sorted(desc.response.var_names):
        dtype = data[v].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise TypeError(f"the response {v!r} must be numeric, got dtype {dtype}")


def _design_matrices(data: pd.DataFrame, formula: str) -> formulae.matrices.DesignMatrices:
    try:
        return formulae.design_matrices(formula, data)
    except Exception as exc:  # formulae raises its own errors
        raise ValueError(f"cannot build the design matrix of {formula!r}: {exc}") from exc


def _common(dm: formulae.matrices.DesignMatrices) -> tuple[np.ndarray, list[str]]:
    """The common-effects matrix of ``dm`` and its column names."""
    names = [label for term in dm.common.terms.values() for label in term.labels]
    return np.asarray(dm.common.design_matrix, dtype=float), names


def _grouping(data: pd.DataFrame, variables: list[str]) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and observed levels of a grouping factor (an interaction if several variables)."""
    cats = [pd.Categorical(data[v]) for v in variables]
    key = np.ravel_multi_index([c.codes for c in cats], [len(c.categories) for c in cats])
    uniq, codes = np.unique(key, return_inverse=True)
    if len(cats) == 1:
        levels = pd.Index(cats[0].categories[uniq], name=variables[0])
    else:
        parts = np.unravel_index(uniq, [len(c.categories) for c in cats])
        labels = [":".join(str(c.categories[i]) for c, i in zip(cats, idx)) for idx in zip(*parts)]
        levels = pd.Index(labels, name=":".join(variables))
    return codes, levels


def _random_terms(parsed: ParsedFormula, data: pd.DataFrame, n: int) -> list[ReMat]:
    terms = []
    for rt in parsed.random:
        values, cnames = _common(_design_matrices(data, rt.expr))
        for variables in expand_factor(rt.factor):
            name = ":".join(variables)
            codes, levels = _grouping(data, variables)
            if levels.size < 2:
                raise ValueError(
                    f"grouping factor {name!r} has only one level; a random effect needs at least two"
                )
            term = ReMat.from_factor(name, codes, levels, values, tuple(cnames))
            if term.q >= n:
                raise ValueError(
                    f"the term ({rt.expr} | {name}) has {term.q} random effects but there are only "
                    f"{n} observations: more random effects than observations, the variance "
                    "components are not identifiable"
                )
            terms.append(term)
    seen: dict[str, set[str]] = {}
    for t in terms:
        clash = seen.setdefault(t.name, set()) & set(t.cnames)
        if clash:
            raise ValueError(
                f"grouping factor {t.name!r} has coefficient(s) {sorted(clash)} "
                "in two random-effects terms"
            )
        seen[t.name] |= set(t.cnames)
    return terms


def lmm(formula: str, data: pd.DataFrame, method: str = "REML") -> LmmResult:
    """Fit a linear mixed model written as an lme4 formula, by REML or ML (Chapters 7-9).

    The model is ``y = X beta + Z b + e`` with ``b ~ N(0, sigma^2 Lambda Lambda')``
    and ``e ~ N(0, sigma^2 I)``.  ``beta`` and ``sigma^2`` are profiled out and the
    profiled deviance (ML) or REML criterion is minimised over ``theta``, the
    elements of the relative covariance factor ``Lambda_theta`` (Chapter 11, eqs.
    ``ch11-deviance`` and ``ch11-reml``; Bates et al. 2015, eqs. 34 and 41), by the
    blocked penalised least squares of :mod:`lmmtext.pls`.

    Parameters
    ----------
    formula : str
        An lme4 formula.  Fixed part as in R (categorical predictors with
        treatment coding).  Random part: ``(1 | g)``; ``(1 + x | g)`` or
        ``(x | g)`` (intercept included, correlated); ``(1 | g) + (0 + x | g)``
        (uncorrelated); ``(1 | g1) + (1 | g2)`` (crossed); ``(1 | g1/g2)``
        (nested, ``= (1 | g1) + (1 | g1:g2)``); ``(1 | g1:g2)``.
    data : pandas.DataFrame
        Holds every column the formula names; grouping columns of any type.
    method : {"REML", "ML"}, default "REML"

    Returns
    -------
    LmmResult
        See its attributes; ``summary()`` prints an lme4-style table.

    Raises
    ------
    ValueError
        If the formula names a missing column, has no random-effects term or
        cannot be parsed; a used column holds NaN (the message counts the rows
        and names the columns: nothing is dropped silently); a grouping factor
        has one level; a term has at least as many random effects as there are
        observations; the fixed-effects design is rank deficient.
    TypeError
        If ``data`` is not a DataFrame, ``formula`` not a string, or the
        response not numeric.

    Warns
    -----
    UserWarning
        On a singular fit (a variance estimated on the boundary, see ``singular``).

    References
    ----------
    Bates, D., Maechler, M., Bolker, B. and Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. *Journal of Statistical Software* 67(1), 1-48.

    Examples
    --------
    >>> from lmmtext.datasets import load_dyestuff
    >>> fit = lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff())
    >>> round(float(fit.fixef["Intercept"]), 1), round(float(fit.covariance["Batch"].iat[0, 0]), 2)
    (1527.5, 1764.05)
    >>> round(fit.sigma2, 2), round(fit.reml_criterion, 2)
    (2451.25, 319.65)
    """
    method = check_method(method)
    parsed = parse_formula(formula)
    _check_data(formula, data)
    if not parsed.random:
        raise ValueError(
            f"formula {formula!r} has no random-effects term such as (1 | g); "
            "for a fixed-effects-only model use ordinary least squares"
        )
    dm = _design_matrices(data, f"{parsed.response} ~ {parsed.fixed}")
    X, fixed_names = _common(dm)
    y = np.asarray(dm.response.design_matrix, dtype=float).ravel()
    n = y.size
    check_full_column_rank(X, "the fixed-effects design X")
    terms = _random_terms(parsed, data, n)
    system = PLS(X, y, terms)
    reml = method == "REML"
    opt = optimize_theta(system, reml)
    theta = opt.theta_final
    sol = system.solve(theta, reml)
    singular = bool(np.any(theta[system.diagonal_mask()] < SINGULAR_TOL))
    if singular:
        warnings.warn(
            f"boundary (singular) fit of {formula!r}: a variance component (or a combination of them) "
            "is estimated as zero; see the 'singular' attribute",
            UserWarning, stacklevel=2,
        )
    covariance: dict[str, pd.DataFrame] = {}
    ranef: dict[str, pd.DataFrame] = {}
    for term, th, b in zip(terms, system.term_theta(theta), sol.b):
        cov = term.covariance(th, sol.sigma2)
        modes = pd.DataFrame(b.reshape(term.n_levels, term.n_cols), index=term.levels,
                             columns=list(term.cnames))
        if term.name in covariance:  # a second, uncorrelated term of the same factor
            cov = _block_diagonal(covariance[term.name], cov)
            modes = pd.concat([ranef[term.name], modes], axis=1)
        covariance[term.name], ranef[term.name] = cov, modes
    fixef = pd.Series(sol.beta, index=fixed_names, name="Estimate")
    vcov = pd.DataFrame(sol.sigma2 * sol.beta_cov_unscaled, index=fixed_names, columns=fixed_names)
    return LmmResult(
        formula=formula, method=method, fixef=fixef,
        fixef_se=pd.Series(np.sqrt(np.diag(vcov.to_numpy())), index=fixed_names, name="Std. Error"),
        vcov=vcov, covariance=covariance, sigma2=sol.sigma2, loglik=-0.5 * sol.objective,
        deviance=system.objective(theta, reml=False), reml_criterion=system.objective(theta, reml=True),
        ranef=ranef, fitted=sol.fitted, resid=y - sol.fitted, theta=theta, converged=opt.converged,
        singular=singular, nobs=n, optsummary=opt,
        n_levels={name: frame.shape[0] for name, frame in ranef.items()}, system=system,
    )


def _block_diagonal(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    names = list(a.index) + list(b.index)
    out = pd.DataFrame(0.0, index=names, columns=names)
    out.loc[a.index, a.columns] = a.to_numpy()
    out.loc[b.index, b.columns] = b.to_numpy()
    return out

