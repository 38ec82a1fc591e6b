"""Fitting linear mixed models from lme4 formulae (Chapters 7-9; computation in Chapter 16).

:func:`lmm` is the book's ``lmer``: :class:`lmmtext.modelframe.ModelFrame` reads the
formula and the data as lme4 does (factor levels and contrasts, ``||``, functions,
weights, missing rows) into ``y``, ``X`` and one :class:`~lmmtext.remat.ReMat` per
random-effects term, and :func:`fit_frame` maximises the profiled (restricted)
log-likelihood of Bates, Maechler, Bolker & Walker (2015) with the blocked penalised
least squares of :mod:`lmmtext.pls`, the same core as :func:`lmmtext.varcomp.fit_varcomp`.
The frame is kept with the fit, so prediction, simulation and refits reuse its coding.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.optimize
import scipy.sparse

from ._validate import check_full_column_rank
from .modelframe import ModelFrame, caller_namespace
from .pls import (DENSE_CRITERION_MAX, PLS, SINGULAR_TOL, OptSummary, _DenseCriterion,
                  boundary_description, criterion, optimize_theta, single_threaded_blas)
from .remat import ReMat
from .residual import BoundResidual, bind
from .varcomp import check_method

__all__ = ["LmmResult", "fit_frame", "lmm"]


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
    fitted, resid : pandas.Series of length n
        ``X beta_hat + Z b_hat`` and ``y - fitted`` (lme4's ``fitted`` and
        ``residuals(fit, type = "response")``), indexed by the data's rows used.
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
    frame : lmmtext.modelframe.ModelFrame
        The formula applied to the data, with the coding (levels, contrasts,
        ``scale`` centres) that :meth:`predict` and refits reuse.
    residual : lmmtext.residual.BoundResidual or None
        The residual structure bound to the rows of the fit (Chapter 15), with
        ``residual_z`` its fitted parameters on the unconstrained scale; see
        :attr:`residual_params`.  ``sigma2`` is then the error variance of the
        first level of a ``VarIdent`` factor.
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
    fitted: pd.Series
    resid: pd.Series
    theta: np.ndarray
    converged: bool
    singular: bool
    nobs: int
    optsummary: OptSummary
    n_levels: dict[str, int]
    system: PLS
    frame: ModelFrame
    residual: BoundResidual | None = None
    residual_z: np.ndarray | None = None

    @property
    def n_params(self) -> int:
        """Number of parameters: fixed effects, ``theta``, ``sigma`` and the residual structure's."""
        extra = 0 if self.residual is None else self.residual.n_params
        return self.fixef.size + self.theta.size + 1 + extra

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
        w = 1.0 if self.frame.weights is None else np.sqrt(self.frame.weights)
        scaled = self.resid.to_numpy() * w / np.sqrt(self.sigma2)
        q = np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1])
        quart = pd.DataFrame([q], columns=["Min", "1Q", "Median", "3Q", "Max"])
        quart_text = quart.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        lines += ["Scaled residuals:", quart_text, ""]
        if self.residual is not None:
            lines += ["Residual structure:"]
            for kind, params in self.residual_params.items():
                values = ", ".join(f"{k}: {v:.6g}" for k, v in params.items())
                lines += [f" {kind}: {values}"]
            lines += [""]
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

    # -- prediction -------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, re: bool = True,
                new_levels: str = "population") -> pd.Series:
        """Predictions ``X beta_hat + Z b_hat`` (``re=True``) or ``X beta_hat`` (``re=False``).

        As lme4's ``predict(fit, newdata, re.form = if (re) NULL else NA,
        allow.new.levels = new_levels == "population")`` (Chapter 14).

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict for; ``None`` gives the fitted values.  The model
            matrices are built with the fit's own coding: the fit's factor
            levels and contrasts, and ``scale``/``center`` with the fitting
            data's centre and spread (not recomputed on ``newdata``).  The
            response need not be there.
        re : bool, default True
            Include the predicted random effects.
        new_levels : {"population", "error"}, default "population"
            A grouping level the fit has not seen gets random effect 0 (the
            population prediction), or raises.

        Returns
        -------
        pandas.Series
            Indexed like ``newdata`` (or the rows used by the fit); NaN for a
            row with a missing value in a variable the model uses.

        Raises
        ------
        ValueError
            If ``newdata`` lacks a column the model uses, a fixed-effect factor
            has a level the fit has not seen, or (``new_levels="error"``) a
            grouping factor does.

        Examples
        --------
        >>> from lmmtext.datasets import load_sleepstudy
        >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
        >>> new = pd.DataFrame({"Days": [0, 5], "Subject": ["308", "new"]})
        >>> fit.predict(new).round(2).tolist()
        [253.66, 303.74]
        """
        if new_levels not in ("population", "error"):
            raise ValueError(f"new_levels must be 'population' or 'error', got {new_levels!r}")
        beta = self.fixef.to_numpy()
        if newdata is None:
            if re:
                return self.fitted.copy()
            return pd.Series(self.frame.X @ beta, index=self.frame.index, name="predict")
        out = self.frame.fixed_matrix(newdata) @ beta
        if re:
            for part in self.frame.random_parts(newdata):
                unseen = (part.codes < 0) & ~pd.isna(part.labels)
                if unseen.any() and new_levels == "error":
                    raise ValueError(
                        f"newdata has level(s) {sorted({str(v) for v in part.labels[unseen]})} of the "
                        f"grouping factor {part.name!r} that the fit has not seen; pass "
                        "new_levels='population' to predict them with random effect 0"
                    )
                B = self.ranef[part.name][list(part.cnames)].to_numpy()
                contrib = np.sum(part.values * B[np.maximum(part.codes, 0)], axis=1)
                contrib[part.codes < 0] = 0.0
                contrib[pd.isna(part.labels)] = np.nan
                out = out + contrib
        return pd.Series(out, index=newdata.index, name="predict")

    # -- conditional variances --------------------------------------------------------
    @cached_property
    def ranef_var(self) -> dict[str, np.ndarray]:
        """Conditional covariance of each level's random effects given the data.

        For each grouping factor (the keys of :attr:`ranef`), an array of shape
        ``(levels, s, s)`` over all of that factor's coefficients: the blocks
        of ``sigma^2 Lambda (L L')^{-1} Lambda'`` with ``L`` the Cholesky
        factor of ``Lambda' Z' Z Lambda + I`` (Chapter 16, eq. ``ch16-chol``),
        lme4's ``ranef(fit, condVar = TRUE)`` (``postVar``).  It treats
        ``beta`` as known, as lme4 does.  Computed from the fit's blocked
        factor, column block by column block of ``L^{-1}``.
        """
        return _conditional_variances(self)

    # -- inference (Chapters 10 and 11) ------------------------------------------------
    def coef_table(self, ddf: str | None = "Satterthwaite") -> pd.DataFrame:
        """t tests of the fixed effects with Satterthwaite or Kenward-Roger df, or Wald z tests.

        As lmerTest's ``summary`` (see :func:`lmmtext.ddf.coef_table`, Chapter 10).
        """
        from .ddf import coef_table

        return coef_table(self, ddf)

    def f_test(self, L: Any, ddf: str = "Satterthwaite") -> pd.Series:
        """Joint F test of ``L beta = 0``, as lmerTest's ``contest`` (:func:`lmmtext.ddf.f_test`)."""
        from .ddf import f_test

        return f_test(self, L, ddf)

    def confint(self, method: str = "profile", level: float = 0.95, n_boot: int | None = None,
                rng: np.random.Generator | None = None) -> pd.DataFrame:
        """Intervals for every parameter, as lme4's ``confint`` (:func:`lmmtext.profile.confint`)."""
        from .profile import confint

        return confint(self, method=method, level=level, n_boot=n_boot, rng=rng)

    def profile(self, level: float = 0.99, n_points: int = 8) -> pd.DataFrame:
        """The profile-zeta table of every parameter (:func:`lmmtext.profile.profile`, Chapter 11)."""
        from .profile import profile

        return profile(self, level=level, n_points=n_points)

    @property
    def residual_params(self) -> dict[str, dict[str, float]]:
        """The residual structure's parameters (Chapter 15), e.g. ``{"AR1": {"phi": 0.5}}``; ``{}`` without one."""
        if self.residual is None:
            return {}
        return self.residual.params(self.residual_z)

    def refit(self, y: Any) -> LmmResult:
        """Fit the same model, same rows and coding, to another response (lme4's ``refit``).

        The optimiser starts from this fit's ``theta``, as lme4's ``refit`` does.
        """
        return fit_frame(self.frame.with_response(y), self.method, residual=self.residual,
                         start=self.theta)


def lmm(formula: str, data: pd.DataFrame, method: str = "REML", *, weights: Any = None,
        missing: str = "error", residual: Any = None, eval_env: int | Mapping = 0) -> LmmResult:
    """Fit a linear mixed model written as an lme4 formula, by REML or ML (Chapters 7-9).

    The model is ``y = X beta + Z b + e`` with ``b ~ N(0, sigma^2 Lambda Lambda')``
    and ``e ~ N(0, sigma^2 W^{-1})`` (``W = I`` without weights).  ``beta`` and
    ``sigma^2`` are profiled out and the profiled deviance (ML) or REML criterion
    is minimised over ``theta``, the elements of the relative covariance factor
    ``Lambda_theta`` (Chapter 16, eqs. ``ch16-deviance`` and ``ch16-reml``; Bates
    et al. 2015, eqs. 34 and 41), by the blocked penalised least squares of
    :mod:`lmmtext.pls`.

    Parameters
    ----------
    formula : str
        An lme4 formula, read as lme4 reads it (:mod:`lmmtext.formula`,
        :mod:`lmmtext.modelframe`; the README lists the language).  Fixed part
        as in R: ``a*b``, ``a:b``, ``a/b``, ``(a+b)^2``, ``0 +``/``- 1``;
        functions ``log``, ``exp``, ``sqrt``, ``I(x^2)``, ``factor``, ``scale``,
        ``center``, ``C`` and the caller's own.  Random part: ``(1 | g)``;
        ``(x | g)`` (intercept included, correlated); ``(x || g)`` (=
        ``(1 | g) + (0 + x | g)``); crossed ``(1 | g1) + (1 | g2)``; nested
        ``(1 | g1/g2)`` (= ``(1 | g1) + (1 | g1:g2)``).
    data : pandas.DataFrame
        A ``Categorical`` column is a factor with its categories' order (the
        first is the reference level; an ordered one gets polynomial
        contrasts); a column of strings a factor with sorted levels.
    method : {"REML", "ML"}, default "REML"
    weights : str or array-like, optional
        Precision weights ``w_i`` (a column name or one per row): residual
        variance ``sigma^2 / w_i``, as lme4's ``weights``.
    missing : {"error", "drop"}, default "error"
        Rows with a missing value in a variable the model uses: raise, or drop
        them with a warning that counts them (lme4's ``na.omit``).
    residual : AR1, CAR1, VarIdent or a list of them, optional
        The structure of ``cov(e) = sigma^2 S C S`` (:mod:`lmmtext.residual`,
        Chapter 15); nlme's ``correlation`` and ``weights``.  With a residual
        structure the formula may have no random-effects term (nlme's ``gls``).
    eval_env : int or mapping, default 0
        Where the formula's own functions and variables are looked up: the
        namespace ``eval_env`` frames above the caller, or a mapping.

    Returns
    -------
    LmmResult
        See its attributes; ``summary()`` prints an lme4-style table.

    Raises
    ------
    ValueError
        If the formula cannot be read as lme4 would read it (the message says
        why), names a column or function that does not exist, has no
        random-effects term; a used column holds NaN (with ``missing="error"``)
        or an infinite value; the response does not vary; a grouping factor
        has one level; a term has at least as many random effects as there are
        observations; the fixed-effects design is rank deficient; weights are
        not positive.
    TypeError
        If ``data`` is not a DataFrame, ``formula`` not a string, or the
        response not numeric.

    Warns
    -----
    UserWarning
        On a singular fit (a variance estimated on the boundary, see
        ``singular``), when the optimiser did not converge, and when rows are
        dropped.

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
    caller = eval_env if isinstance(eval_env, Mapping) else caller_namespace(1 + int(eval_env))
    if residual is not None:
        data = _complete_residual_columns(data, residual, missing)
    frame = ModelFrame.build(formula, data, weights=weights, missing=missing, caller=caller)
    if not frame.terms and residual is None:
        raise ValueError(
            f"formula {formula!r} has no random-effects term such as (1 | g); "
            "for a fixed-effects-only model use ordinary least squares, or give a residual "
            "structure (generalized least squares)"
        )
    bound = None if residual is None else bind(residual, data.loc[frame.index])
    return fit_frame(frame, method, stacklevel=3, residual=bound)


def _complete_residual_columns(data: Any, residual: Any, missing: str) -> pd.DataFrame:
    """The rows of ``data`` whose residual-structure columns are complete (or an error)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not data.index.is_unique:
        raise ValueError("a residual structure needs data with a unique index (use data.reset_index())")
    structures = list(residual) if isinstance(residual, (list, tuple)) else [residual]
    columns = [c for s in structures for c in getattr(s, "columns", [])]
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise ValueError(f"the residual structure names column(s) {absent}, which the data do not have")
    incomplete = data[columns].isna().any(axis=1) if columns else pd.Series(False, index=data.index)
    if incomplete.any():
        count = int(incomplete.sum())
        if missing == "error":
            raise ValueError(
                f"{count} row(s) have missing values (NaN) in the residual structure's columns "
                f"{columns}; remove them, or pass missing='drop'"
            )
        warnings.warn(f"dropped {count} row(s) with missing values in {columns} (missing='drop')",
                      UserWarning, stacklevel=3)
        data = data[~incomplete]
    return data


def _check_terms(frame: ModelFrame) -> None:
    n = frame.n
    seen: dict[str, set[str]] = {}
    for bar, term in zip(frame.formula.bars, frame.terms):
        if term.n_levels < 2:
            raise ValueError(
                f"grouping factor {term.name!r} has only one level; a random effect needs at least two"
            )
        if term.q >= n:
            raise ValueError(
                f"the term {bar.text} has {term.q} random effects but there are only {n} "
                "observations: more random effects than observations, the variance components "
                "are not identifiable"
            )
        clash = seen.setdefault(term.name, set()) & set(term.cnames)
        if clash:
            raise ValueError(
                f"grouping factor {term.name!r} has coefficient(s) {sorted(clash)} "
                "in two random-effects terms"
            )
        seen[term.name] |= set(term.cnames)


def _transformed_system(frame: ModelFrame, A: scipy.sparse.sparray | None) -> PLS:
    """The PLS system of ``A y``, ``A X``, ``A Z`` (``A = None``: the frame's own)."""
    if A is None:
        return PLS(frame.X, frame.y, list(frame.terms))
    terms = [replace(t, Z=scipy.sparse.csr_array(A @ t.Z)) for t in frame.terms]
    return PLS(np.asarray(A @ frame.X), np.asarray(A @ frame.y), terms)


def _whitening(frame: ModelFrame, residual: BoundResidual | None,
               z: np.ndarray) -> tuple[scipy.sparse.sparray | None, float]:
    """``A`` with ``A'A = W^{-1}`` for ``cov(e) = sigma^2 W`` and ``log|W|`` (Chapter 15).

    Precision weights give ``W = diag(1 / w_i)``; a residual structure
    ``W = S C S`` (:mod:`lmmtext.residual`); both, ``W^{-1/2} S C S W^{-1/2}``.
    """
    A, logdet = None, 0.0
    if frame.weights is not None:
        A = scipy.sparse.diags_array(np.sqrt(frame.weights)).tocsr()
        logdet -= float(np.sum(np.log(frame.weights)))
    if residual is not None:
        Ar, ld = residual.whitening(z)
        A = Ar if A is None else Ar @ A
        logdet += ld
    return A, logdet


@dataclass(frozen=True)
class _Inner:
    """The fit of ``theta`` at fixed residual parameters ``z``."""

    system: PLS
    opt: OptSummary | None
    theta: np.ndarray
    logdet: float
    criterion: float


def _inner(frame: ModelFrame, residual: BoundResidual | None, z: np.ndarray, reml: bool,
           start: np.ndarray | None = None) -> _Inner:
    A, logdet = _whitening(frame, residual, z)
    system = _transformed_system(frame, A)
    if frame.terms:
        opt = optimize_theta(system, reml, start=start)
        theta, value = opt.theta_final, opt.objective_final
    else:  # generalized least squares: nothing random, nothing to optimise over theta
        opt, theta = None, np.zeros(0)
        value = system.objective(theta, reml)
    return _Inner(system, opt, theta, logdet, value + logdet)


class _JointCriterion:
    """The criterion as a function of ``(theta, z)`` (Chapter 15, eq. ``ch15-whitened``).

    For a small system (``q + p + 1 <=`` :data:`lmmtext.pls.DENSE_CRITERION_MAX`) the
    dense ``M = [Z X y~]`` is formed once (``y~ = y - X beta_ols``, which changes no
    criterion) and an evaluation whitens it, ``G = (AM)'(AM)``, and factors
    ``D'GD + diag(I_q, 0)`` once; a larger one builds the whitened PLS system anew.
    """

    def __init__(self, frame: ModelFrame, residual: BoundResidual, reml: bool) -> None:
        self.frame, self.residual, self.reml = frame, residual, reml
        self.m = sum(t.n_theta for t in frame.terms)
        q = sum(t.q for t in frame.terms)
        self.dense = None
        if q + frame.X.shape[1] + 1 <= DENSE_CRITERION_MAX:
            X, y = frame.X, frame.y
            y_tilde = y - X @ scipy.linalg.lstsq(X, y)[0]
            self.M = np.column_stack([t.Z.toarray() for t in frame.terms] + [X, y_tilde])
            self.dense = _DenseCriterion(X, y_tilde, list(frame.terms))

    def __call__(self, x: np.ndarray) -> float:
        theta, z = x[: self.m], x[self.m:]
        A, logdet = _whitening(self.frame, self.residual, z)
        if self.dense is None:
            return _transformed_system(self.frame, A).objective(theta, self.reml) + logdet
        AM = self.M if A is None else np.asarray(A @ self.M)
        self.dense.G = AM.T @ AM
        try:
            L, _ = self.dense.factor(theta)
        except np.linalg.LinAlgError:
            return np.inf
        n, p = self.frame.X.shape
        return criterion(*self.dense.log_determinants(L), n, p, self.reml) + logdet


def _optimize_residual(frame: ModelFrame, residual: BoundResidual, reml: bool) -> np.ndarray:
    """Minimise the criterion over ``(theta, z)``, the residual parameters ``z`` (Chapter 15).

    ``z`` is unconstrained (``phi = tanh z``, ``delta = exp z``, kept inside
    :meth:`~lmmtext.residual.BoundResidual.bounds`).  A search can run to an edge of a
    correlation's range on a wide first step, so it is started from the structure's own
    start (``phi = 0``, ratios 1: the nested model without it) and from a coarse grid
    over the correlation parameter (:meth:`~lmmtext.residual.BoundResidual.grid`), and
    the best end is kept.

    For a small system each start is a joint L-BFGS-B over ``(theta, z)`` (``theta``'s
    diagonal at least 0) on :class:`_JointCriterion`, one dense factorisation per
    evaluation, and the best end is polished there.  Otherwise the starts compete on
    the criterion profiled over ``theta`` (each ``theta`` fitted by
    :func:`~lmmtext.pls.optimize_theta`) and the best is polished on it.  The caller
    refits ``theta`` at the final ``z`` with ``optimize_theta`` and its checks.
    """
    m = sum(t.n_theta for t in frame.terms)
    z_lo, z_hi = residual.bounds()
    z_starts = [residual.start()] + residual.grid(residual.start())
    joint = _JointCriterion(frame, residual, reml) if m else None
    if joint is not None and joint.dense is not None:
        theta_start = np.concatenate([t.theta_start() for t in frame.terms])
        lower = np.concatenate([t.theta_lower() for t in frame.terms])
        bounds = scipy.optimize.Bounds(np.concatenate([lower, z_lo]),
                                       np.concatenate([np.full(m, np.inf), z_hi]))
        ends = [scipy.optimize.minimize(joint, np.concatenate([theta_start, z]), method="L-BFGS-B",
                                        jac="3-point", bounds=bounds,
                                        options={"ftol": 1e-10, "gtol": 1e-5, "maxiter": 500})
                for z in z_starts]
        polish = scipy.optimize.minimize(joint, min(ends, key=lambda r: r.fun).x, method="L-BFGS-B",
                                         jac="3-point", bounds=bounds,
                                         options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000})
        return polish.x[m:]

    def profiled(z: np.ndarray) -> float:
        return _inner(frame, residual, z, reml).criterion

    values = [profiled(z) for z in z_starts]
    best = int(np.argmin(values))
    res = scipy.optimize.minimize(profiled, z_starts[best], method="L-BFGS-B", jac="3-point",
                                  bounds=scipy.optimize.Bounds(z_lo, z_hi),
                                  options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 200})
    return res.x if res.fun <= values[best] else z_starts[best]


#: A correlation parameter within this distance of 1 (or of 0 for CAR1) is reported as on the boundary.
PHI_EDGE = 1e-3


def _residual_boundary(params: dict[str, dict[str, float]]) -> list[str]:
    """Plain-words warnings for residual parameters at the edge of their range (Chapter 15)."""
    out = []
    for kind, values in params.items():
        if kind in ("AR1", "CAR1"):
            phi = values["phi"]
            if phi > 1 - PHI_EDGE:
                out.append(
                    f"the {kind} correlation phi is estimated as {phi:.7f}, at the edge of its range: "
                    "errors within a group are almost perfectly correlated, which a random intercept "
                    "of that group would also explain; compare the fit without one of the two"
                )
            elif phi < -(1 - PHI_EDGE):
                out.append(
                    f"the {kind} correlation phi is estimated as {phi:.7f}, at the edge of its range: "
                    "successive errors almost cancel, which is rarely a property of the data; check "
                    "the order of the rows within each group"
                )
            elif kind == "CAR1" and phi < PHI_EDGE:
                out.append(f"the CAR1 correlation phi is estimated as {phi:.2e}, at 0: drop the structure")
        else:
            small = [level for level, ratio in values.items() if ratio < PHI_EDGE]
            if small:
                out.append(f"the VarIdent ratio of level(s) {small} is estimated as almost 0")
    return out


def fit_frame(frame: ModelFrame, method: str = "REML", stacklevel: int = 2,
              residual: BoundResidual | None = None, start: np.ndarray | None = None) -> LmmResult:
    """Fit the model of a :class:`~lmmtext.modelframe.ModelFrame` (the work of :func:`lmm`).

    Refits (bootstrap, profiles, leave-one-group-out) call this with a frame
    whose design is already built, so the formula is never parsed again.
    ``residual`` (a :class:`lmmtext.residual.BoundResidual`) gives
    ``cov(e) = sigma^2 S C S`` (Chapter 15).  ``start`` is a ``theta`` to start
    the optimiser from (a previous fit's, for a refit), as lme4's ``refit``.
    """
    method = check_method(method)
    check_full_column_rank(frame.X, "the fixed-effects design X")
    _check_terms(frame)
    terms = list(frame.terms)
    formula = frame.formula.text
    reml = method == "REML"
    with single_threaded_blas():
        z = np.zeros(0)
        if residual is not None and residual.n_params:
            z = _optimize_residual(frame, residual, reml)
        inner = _inner(frame, residual, z, reml, start=start)
        system, opt, theta = inner.system, inner.opt, inner.theta
        sol = system.solve(theta, reml)
    logdet = inner.logdet
    if residual is not None:
        for message in _residual_boundary(residual.params(z)):
            warnings.warn(f"{formula!r}: {message}", UserWarning, stacklevel=stacklevel)
    singular = bool(np.any(theta[system.diagonal_mask()] < SINGULAR_TOL)) if terms else False
    converged = True if opt is None else opt.converged
    if not converged:
        warnings.warn(f"the fit of {formula!r} did not converge: {opt.message}",
                      UserWarning, stacklevel=stacklevel)
    if singular:
        warnings.warn(
            f"boundary (singular) fit of {formula!r}: "
            + "; ".join(boundary_description(system, theta))
            + " (see the 'singular' attribute)",
            UserWarning, stacklevel=stacklevel,
        )
    covariance: dict[str, pd.DataFrame] = {}
    ranef: dict[str, pd.DataFrame] = {}
    fitted = frame.X @ sol.beta
    for term, th, b in zip(terms, system.term_theta(theta), sol.b):
        fitted = fitted + term.Z @ b
        cov = term.covariance(th, sol.sigma2)
        modes = pd.DataFrame(b.reshape(term.n_levels, term.n_cols), index=term.levels,
                             columns=list(term.cnames))
        if term.name in covariance:  # a second, uncorrelated term of the same factor
            cov = _block_diagonal(covariance[term.name], cov)
            modes = pd.concat([ranef[term.name], modes], axis=1)
        covariance[term.name], ranef[term.name] = cov, modes
    names = list(frame.fixef_names)
    fixef = pd.Series(sol.beta, index=names, name="Estimate")
    vcov = pd.DataFrame(sol.sigma2 * sol.beta_cov_unscaled, index=names, columns=names)
    return LmmResult(
        formula=formula, method=method, fixef=fixef,
        fixef_se=pd.Series(np.sqrt(np.diag(vcov.to_numpy())), index=names, name="Std. Error"),
        vcov=vcov, covariance=covariance, sigma2=sol.sigma2,
        loglik=-0.5 * (sol.objective + logdet),
        deviance=system._criterion(sol.logdet_L, sol.logdet_RX, sol.pwrss, False) + logdet,
        reml_criterion=system._criterion(sol.logdet_L, sol.logdet_RX, sol.pwrss, True) + logdet,
        ranef=ranef, fitted=pd.Series(fitted, index=frame.index, name="fitted"),
        resid=pd.Series(frame.y - fitted, index=frame.index, name="resid"), theta=theta,
        converged=converged, singular=singular, nobs=frame.n, optsummary=opt,
        n_levels={name: m.shape[0] for name, m in ranef.items()}, system=system, frame=frame,
        residual=residual, residual_z=z,
    )


def _block_diagonal(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    names = list(a.index) + list(b.index)
    out = pd.DataFrame(0.0, index=names, columns=names)
    out.loc[a.index, a.columns] = a.to_numpy()
    out.loc[b.index, b.columns] = b.to_numpy()
    return out


def _inverse_columns(L: dict, special: bool, K: int, a: int) -> list[np.ndarray | None]:
    """Block column ``a`` of ``L^{-1}`` (rows of the random effects only), block by block.

    ``Y_a = L_aa^{-1}``, ``Y_r = -L_rr^{-1} sum_{a <= m < r} L_rm Y_m`` for ``r > a``;
    ``Y_0`` of a block-diagonal first term is kept as its ``(l, s, s)`` blocks.
    """
    Y: list[np.ndarray | None] = [None] * K
    if a == 0 and special:
        L0 = L[0, 0]
        s = L0.shape[1]
        Y[0] = np.linalg.solve(L0, np.broadcast_to(np.eye(s), L0.shape))
    else:
        Y[a] = scipy.linalg.solve_triangular(L[a, a], np.eye(L[a, a].shape[0]), lower=True)
    for r in range(a + 1, K):
        acc = 0.0
        for m in range(a, r):
            Lrm, Ym = L[r, m], Y[m]
            if m == 0 and special:
                n_blocks, s, _ = Ym.shape
                Ym_sparse = scipy.sparse.block_diag(list(Ym), format="csr") if s > 1 else \
                    scipy.sparse.diags_array(Ym[:, 0, 0]).tocsr()
                prod = Lrm @ Ym_sparse
            else:
                prod = Lrm @ Ym
            acc = acc + (prod.toarray() if scipy.sparse.issparse(prod) else prod)
        Y[r] = -scipy.linalg.solve_triangular(L[r, r], acc, lower=True)
    return Y


def _level_blocks(Ya: Any, Yb: Any, sa: int, sb: int, n_levels: int) -> np.ndarray:
    """Per level ``j``: ``Ya[:, cols_j]' Yb[:, cols_j]`` (level-major columns)."""
    if Ya.ndim == 3:  # the block-diagonal first term against itself
        return np.einsum("lki,lkj->lij", Ya, Yb)
    A = Ya.reshape(Ya.shape[0], n_levels, sa)
    B = Yb.reshape(Yb.shape[0], n_levels, sb)
    return np.einsum("rli,rlj->lij", A, B)


def _dense_conditional_variances(fit: LmmResult) -> dict[str, np.ndarray]:
    """``sigma^2 Lambda (L L')^{-1} Lambda'`` from the dense factor of a small system, level blocks."""
    system = fit.system
    dense = system._dense_criterion
    L, _ = dense.factor(fit.theta)
    q = dense.q
    Linv = scipy.linalg.solve_triangular(L[:q, :q], np.eye(q), lower=True)
    lam = dense._lambda(fit.theta)
    B = lam @ Linv.T
    C = fit.sigma2 * B @ B.T
    offsets = np.concatenate([[0], np.cumsum([t.q for t in system.terms])])
    by_factor: dict[str, list[int]] = {}
    for k, term in enumerate(system.terms):
        by_factor.setdefault(term.name, []).append(k)
    out = {}
    for name, ks in by_factor.items():
        n_levels = system.terms[ks[0]].n_levels
        cols = np.concatenate([
            (offsets[k] + system.terms[k].n_cols * np.arange(n_levels)[:, None]
             + np.arange(system.terms[k].n_cols)) for k in ks], axis=1)  # (levels, s_total)
        out[name] = C[cols[:, :, None], cols[:, None, :]]
    return out


def _conditional_variances(fit: LmmResult) -> dict[str, np.ndarray]:
    system = fit.system
    if not system.terms:
        return {}
    if getattr(system, "_dense_criterion", None) is not None:
        return _dense_conditional_variances(fit)
    f = system._factor(fit.theta)
    K, order, special = system._K, system._order, system._special
    position = {k: pos for pos, k in enumerate(order)}
    thetas = system.term_theta(fit.theta)
    by_factor: dict[str, list[int]] = {}
    for k, term in enumerate(system.terms):
        by_factor.setdefault(term.name, []).append(k)
    cache: dict[int, list] = {}
    out = {}
    for name, ks in by_factor.items():
        sizes = [system.terms[k].n_cols for k in ks]
        n_levels = system.terms[ks[0]].n_levels
        total = np.zeros((n_levels, sum(sizes), sum(sizes)))
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        for i, ka in enumerate(ks):
            for j, kb in enumerate(ks):
                pa, pb = position[ka], position[kb]
                Ya = cache.setdefault(pa, _inverse_columns(f.L, special, K, pa))
                Yb = cache.setdefault(pb, _inverse_columns(f.L, special, K, pb))
                C = np.zeros((n_levels, sizes[i], sizes[j]))
                for r in range(max(pa, pb), K):
                    C += _level_blocks(Ya[r], Yb[r], sizes[i], sizes[j], n_levels)
                Ta = system.terms[ka].lambda_factor(thetas[ka])
                Tb = system.terms[kb].lambda_factor(thetas[kb])
                total[:, offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]] = \
                    fit.sigma2 * Ta @ C @ Tb.T
        out[name] = total
    return out
