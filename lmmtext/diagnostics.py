"""Checking a fitted model: residuals, influential groups, random-effects structure, power (Chapter 12).

Chapter 12, Model checking, and the chapters after it use these tools on a fit
from :func:`lmmtext.lmm`:

- residuals of both kinds (Chapter 12, eqs. ``ch12-conditional``, ``ch12-pearson``,
  ``ch12-marginal`` and ``ch12-marginal-scaled``): *conditional* residuals
  ``y - X beta_hat - Z b_hat``, raw or Pearson, as lme4's ``residuals``; and
  *marginal* residuals ``y - X beta_hat``, raw or whitened by the Cholesky factor
  of the estimated marginal covariance ``V`` (:func:`conditional_residuals`,
  :func:`marginal_residuals`);
- the distribution of the BLUPs when the fitted model is true
  (:func:`simulate_ranef`), the reference for their QQ plot;
- the influence of each group, by leaving it out and refitting
  (:func:`influence_groups`, eq. ``ch12-cook``);
- the principal components of each random-effects covariance matrix, lme4's
  ``rePCA`` (:func:`re_pca`), and the comparison of nested models by AIC, BIC
  and likelihood-ratio tests, lme4's ``anova(m1, m2, ...)`` (:func:`compare`);
- the power of a test of a fixed effect by simulation (:func:`power_simulation`).

Every refit goes through the fit's model frame (:meth:`LmmResult.refit`,
:meth:`lmmtext.modelframe.ModelFrame.subset`): the formula is never parsed again.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
import scipy.stats

from .lmm import LmmResult, fit_frame
from .modelframe import ModelFrame, caller_namespace
from .pls import single_threaded_blas

__all__ = [
    "AssumedModel", "Comparison", "GroupInfluence", "PowerResult", "compare",
    "conditional_residuals", "influence_groups", "marginal_residuals", "power_simulation",
    "re_pca", "simulate_ranef",
]

#: lme4's message when ``anova`` refits REML fits by ML.
REFIT_MESSAGE = "refitting model(s) with ML (instead of REML)"


# -- checks ---------------------------------------------------------------------------------
def _check_fit(fit: Any, name: str = "fit") -> None:
    if not isinstance(fit, LmmResult):
        raise TypeError(f"{name} must be a fit from lmmtext.lmm (an LmmResult), got {type(fit).__name__}")


def _check_plain(fit: Any, what: str) -> None:
    """``what`` assumes ``cov(e) = sigma^2 W^{-1}`` and at least one random-effects term."""
    _check_fit(fit)
    if getattr(fit, "residual", None) is not None:
        raise ValueError(
            f"{what} assumes independent errors, cov(e) = sigma^2 W^-1 (lme4's model); this fit has a "
            "residual structure (Chapter 15), which it does not take into account yet"
        )
    if not fit.frame.terms:
        raise ValueError(f"{what} needs a model with a random-effects term such as (1 | g)")


def _check_rng(rng: Any) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")


def _check_count(n: Any, name: str, minimum: int = 1) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}")
    return int(n)


def _lambda_z(frame: ModelFrame, theta: np.ndarray) -> scipy.sparse.csr_array:
    """``Z Lambda``: each term's ``Z_k (I (x) T_k)``, side by side (unweighted rows)."""
    blocks, start = [], 0
    for term in frame.terms:
        T = term.lambda_factor(theta[start:start + term.n_theta])
        start += term.n_theta
        blocks.append(term.Z @ scipy.sparse.kron(scipy.sparse.eye_array(term.n_levels), T))
    return scipy.sparse.csr_array(scipy.sparse.hstack(blocks))


def _weights(frame: ModelFrame) -> np.ndarray:
    return np.ones(frame.n) if frame.weights is None else frame.weights


# -- residuals ------------------------------------------------------------------------------
def conditional_residuals(fit: LmmResult, type: str = "response", scaled: bool = False) -> pd.Series:
    """Conditional residuals ``y - X beta_hat - Z b_hat``, raw or Pearson (Chapter 12, Model checking).

    Chapter 12, eqs. ``ch12-conditional`` and ``ch12-pearson``: the response
    residual ``r_i = y_i - x_i' beta_hat - z_i' b_hat`` and the Pearson residual
    ``sqrt(w_i) r_i`` (``w_i`` the precision weight, 1 without weights), whose
    variance under the model is about ``sigma^2`` for every row.  As lme4's
    ``residuals(fit, type = "response" | "pearson", scaled = ...)``: lme4's
    Pearson residuals are *not* divided by ``sigma_hat`` unless ``scaled=TRUE``.

    Parameters
    ----------
    fit : LmmResult
    type : {"response", "pearson"}, default "response"
    scaled : bool, default False
        Divide by ``sigma_hat`` (lme4's ``scaled = TRUE``; the "scaled residuals"
        of ``summary``).

    Returns
    -------
    pandas.Series
        Indexed by the data's rows used by the fit.

    Raises
    ------
    TypeError
        If ``fit`` is not an :class:`~lmmtext.lmm.LmmResult`.
    ValueError
        If ``type`` is not one of the two, or a Pearson or scaled residual is
        asked of a fit with a residual structure (Chapter 15).

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> round(float(conditional_residuals(fit, "pearson", scaled=True).std()), 3)
    0.918
    """
    _check_fit(fit)
    if type not in ("response", "pearson"):
        raise ValueError(f"type must be 'response' or 'pearson', got {type!r}")
    if type == "pearson" or scaled:
        _check_plain(fit, "Pearson and scaled residuals")
    r = fit.resid.to_numpy().copy()
    if type == "pearson":
        r = r * np.sqrt(_weights(fit.frame))
    if scaled:
        r = r / np.sqrt(fit.sigma2)
    return pd.Series(r, index=fit.frame.index, name=f"{type} residual")


def marginal_residuals(fit: LmmResult, scaled: bool = False) -> pd.Series:
    """Marginal residuals ``y - X beta_hat``, raw or scaled by the Cholesky factor of ``V_hat`` (Chapter 12).

    Chapter 12, eqs. ``ch12-marginal`` and ``ch12-marginal-scaled``.  The raw
    marginal residual ``xi = y - X beta_hat`` estimates ``Z b + e``; its rows
    are correlated within groups, with covariance about
    ``V = sigma^2 (W^{-1} + Z Lambda Lambda' Z')``.  The scaled marginal residual
    is ``C_hat^{-1} xi`` with ``V_hat = C_hat C_hat'`` the lower Cholesky factor,
    the rows in the data's order (Santos Nobre and Singer 2007, Houseman, Ryan
    and Coull 2004): if the model holds, its elements are about uncorrelated
    with variance 1, so a QQ plot of them checks the marginal normality of the
    data and an outlying one a poorly fitted observation *given the earlier
    rows of its group*.

    ``V`` is block diagonal over the groups of observations linked by shared
    levels of any grouping factor (one block per school for ``(1 | school)``;
    a crossed design is often one block), so the factor is computed block by
    block, at a cost of ``O(sum n_c^3)``; it equals the factor of the whole ``V``.

    Parameters
    ----------
    fit : LmmResult
    scaled : bool, default False

    Returns
    -------
    pandas.Series
        Indexed by the data's rows used by the fit.

    Raises
    ------
    TypeError
        If ``fit`` is not an :class:`~lmmtext.lmm.LmmResult`.
    ValueError
        If ``scaled`` and the fit has a residual structure (Chapter 15) or no
        random-effects term.

    References
    ----------
    Santos Nobre, J. and Singer, J. M. (2007). Residual analysis for linear mixed
    models. *Biometrical Journal* 49(6), 863-875.

    Houseman, E. A., Ryan, L. M. and Coull, B. A. (2004). Cholesky residuals for
    assessing normal errors in a linear model with correlated outcomes. *Journal
    of the American Statistical Association* 99, 383-394.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> xi = marginal_residuals(fit, scaled=True)
    >>> round(float((xi ** 2).mean()), 3)
    0.989
    """
    _check_fit(fit)
    frame = fit.frame
    xi = frame.y - frame.X @ fit.fixef.to_numpy()
    if scaled:
        _check_plain(fit, "the scaled marginal residual")
        with single_threaded_blas():
            xi = _whiten(frame, fit.theta, fit.sigma2, xi)
    return pd.Series(xi, index=frame.index, name="scaled marginal residual" if scaled
                     else "marginal residual")


def _components(frame: ModelFrame) -> list[np.ndarray]:
    """The rows of each diagonal block of ``V``: observations linked through shared levels."""
    incidence = scipy.sparse.hstack([abs(t.Z) for t in frame.terms]).tocsr()
    n = frame.n
    incidence = scipy.sparse.csr_array((np.ones(incidence.nnz), incidence.indices, incidence.indptr),
                                       shape=incidence.shape)
    graph = scipy.sparse.block_array([[None, incidence], [incidence.T, None]])
    n_comp, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    rows = labels[:n]
    order = np.argsort(rows, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(rows[order])) + 1)


def _whiten(frame: ModelFrame, theta: np.ndarray, sigma2: float, xi: np.ndarray) -> np.ndarray:
    ZL = _lambda_z(frame, theta)
    w = _weights(frame)
    out = np.empty_like(xi)
    for rows in _components(frame):
        A = ZL[rows]
        A = A[:, np.unique(A.indices)].toarray()  # the block's own random effects, dense
        V = A @ A.T
        V[np.diag_indices_from(V)] += 1.0 / w[rows]
        C = scipy.linalg.cholesky(sigma2 * V, lower=True)
        out[rows] = scipy.linalg.solve_triangular(C, xi[rows], lower=True)
    return out


# -- the BLUPs under the fitted model --------------------------------------------------------
class _BlupMap:
    """``b_hat`` as a linear function of ``y`` at the fit's ``theta`` (Henderson's equations).

    With ``Lambda``, the weights and ``theta`` fixed at the fit's values, the
    solution of the penalised least-squares system
    ``[L'Z'WZ L + I, L'Z'WX; X'WZ L, X'WX] [u; beta] = [L'Z'Wy; X'Wy]`` (``L`` for
    ``Lambda``) is linear in ``y``, and ``b_hat = Lambda u``.  One sparse LU
    factor serves any number of responses.
    """

    def __init__(self, fit: LmmResult) -> None:
        frame = fit.frame
        self.fit = fit
        self.sw = np.sqrt(_weights(frame))
        ZL = _lambda_z(frame, fit.theta)
        A = scipy.sparse.csr_array(scipy.sparse.hstack(
            [ZL, scipy.sparse.csr_array(frame.X)]).multiply(self.sw[:, None]))
        q = ZL.shape[1]
        self.q = q
        self.A = A
        M = (A.T @ A).tocsc() + scipy.sparse.diags_array(
            np.r_[np.ones(q), np.zeros(frame.X.shape[1])]).tocsc()
        self.lu = scipy.sparse.linalg.splu(scipy.sparse.csc_array(M))
        self.Ts, self.slices, start = [], [], 0
        for term in frame.terms:
            self.Ts.append(term.lambda_factor(fit.theta[start:start + term.n_theta]))
            start += term.n_theta
        sizes = [t.q for t in frame.terms]
        self.slices = np.split(np.arange(q), np.cumsum(sizes)[:-1])

    def ranef(self, Y: np.ndarray) -> dict[str, np.ndarray]:
        """BLUPs for the responses in the columns of ``Y`` (n x m): per factor, ``(m, levels, s)``."""
        rhs = self.A.T @ (Y * self.sw[:, None])
        sol = self.lu.solve(np.asarray(rhs))
        out: dict[str, np.ndarray] = {}
        m = Y.shape[1]
        for term, T, sl in zip(self.fit.frame.terms, self.Ts, self.slices):
            u = sol[sl].T.reshape(m, term.n_levels, term.n_cols)
            b = u @ T.T
            out[term.name] = np.concatenate([out[term.name], b], axis=2) if term.name in out else b
        return out


def simulate_ranef(fit: LmmResult, n_sim: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """BLUPs of responses simulated from the fitted model: the reference for their QQ plot (Chapter 12).

    Draws ``y* = X beta_hat + Z b* + e*`` with ``b* ~ N(0, sigma_hat^2 Lambda_hat Lambda_hat')``
    and ``e* ~ N(0, sigma_hat^2 W^{-1})``, and computes the BLUPs of each ``y*`` at
    the fitted ``theta`` (not refitted).  The BLUPs are shrunk toward 0, the more
    so for small groups, so even when the model is right they are *not* a sample
    from ``N(0, Sigma_hat)``: their spread is smaller and differs between levels.
    Their QQ plot is read against these simulated BLUPs, not against a straight
    line (:func:`lmmtext.plotting.plot_qq_ranef`).

    Parameters
    ----------
    fit : LmmResult
    n_sim : int
        Number of simulated responses, at least 1.
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to ndarray
        For each grouping factor (the keys of ``fit.ranef``), an array of shape
        ``(n_sim, levels, s)``, the columns as in ``fit.ranef[name]``.

    Raises
    ------
    TypeError
        If ``fit`` is not a fit, ``n_sim`` not an integer or ``rng`` not a Generator.
    ValueError
        If ``n_sim < 1``, or the fit has a residual structure (Chapter 15).

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> sims = simulate_ranef(fit, 50, np.random.default_rng(12))
    >>> sims["Subject"].shape
    (50, 18, 2)
    """
    _check_plain(fit, "simulate_ranef")
    n_sim = _check_count(n_sim, "n_sim")
    _check_rng(rng)
    blup = _BlupMap(fit)
    frame = fit.frame
    sigma = np.sqrt(fit.sigma2)
    ZL = _lambda_z(frame, fit.theta)
    Y = (frame.X @ fit.fixef.to_numpy())[:, None] \
        + sigma * (ZL @ rng.standard_normal((ZL.shape[1], n_sim))) \
        + (sigma / blup.sw)[:, None] * rng.standard_normal((frame.n, n_sim))
    return blup.ranef(Y)


# -- influence of groups -------------------------------------------------------------------
def _varcomp(fit: LmmResult) -> pd.Series:
    """The variance components in lme4's ``as.data.frame(VarCorr(fit))`` order within each term.

    Per term (formula order): the variances, then the covariances ``(i, j)``,
    ``i < j``, ordered by ``i`` then ``j``; the residual variance last.  Names
    ``"school Intercept"``, ``"school Intercept standLRT"``, ``"Residual"``.
    """
    names, values, start = [], [], 0
    for term in fit.frame.terms:
        cov = term.covariance(fit.theta[start:start + term.n_theta], fit.sigma2).to_numpy()
        start += term.n_theta
        cn = term.cnames
        for i in range(len(cn)):
            names.append(f"{term.name} {cn[i]}")
            values.append(cov[i, i])
        for i in range(len(cn)):
            for j in range(i + 1, len(cn)):
                names.append(f"{term.name} {cn[i]} {cn[j]}")
                values.append(cov[i, j])
    names.append("Residual")
    values.append(fit.sigma2)
    return pd.Series(values, index=names, name="variance component")


@dataclass(frozen=True, repr=False)
class GroupInfluence:
    """Leave-one-group-out refits (the value of :func:`influence_groups`).

    Attributes
    ----------
    group : str
        The grouping factor whose levels were left out one at a time.
    fixef, varcomp : pandas.DataFrame
        One row per level left out: the refitted fixed effects, and the
        refitted variance components (variances, covariances, ``Residual``;
        lme4's ``as.data.frame(VarCorr)`` order).
    delta_fixef, delta_varcomp : pandas.DataFrame
        The change on leaving the level out, refit minus full fit.
    cooks_distance : pandas.Series
        ``D_j = d_j' vcov(beta_hat)^{-1} d_j / p`` with ``d_j`` the row of
        ``delta_fixef`` (Chapter 12, eq. ``ch12-cook``).
    n_obs : pandas.Series
        Rows left out with each level.
    singular : pandas.Series of bool
        Whether the refit is singular.
    full_fixef, full_varcomp : pandas.Series
        The estimates of the full fit.
    """

    group: str
    fixef: pd.DataFrame
    varcomp: pd.DataFrame
    delta_fixef: pd.DataFrame
    delta_varcomp: pd.DataFrame
    cooks_distance: pd.Series
    n_obs: pd.Series
    singular: pd.Series
    full_fixef: pd.Series
    full_varcomp: pd.Series

    def summary(self) -> pd.DataFrame:
        """Cook's distance, rows left out and the relative change of each variance component, by level,
        the most influential first."""
        rel = self.delta_varcomp / self.full_varcomp.where(self.full_varcomp != 0)
        rel.columns = [f"rel. change {c}" for c in rel.columns]
        out = pd.concat([self.cooks_distance.rename("Cook's D"), self.n_obs.rename("n_obs"), rel], axis=1)
        return out.sort_values("Cook's D", ascending=False)

    def __repr__(self) -> str:
        return (f"GroupInfluence({self.group!r}, {len(self.cooks_distance)} levels, largest Cook's D "
                f"{self.cooks_distance.max():.3g} at {self.cooks_distance.idxmax()!r})")


def _group_codes(frame: ModelFrame, group: str) -> tuple[np.ndarray, pd.Index]:
    for term in frame.terms:
        if term.name == group:
            return term.Z.indices[term.Z.indptr[:-1]] // term.n_cols, term.levels
    names = list(dict.fromkeys(t.name for t in frame.terms))
    raise ValueError(f"group must be one of the fit's grouping factors {names}, got {group!r}")


def influence_groups(fit: LmmResult, group: str | None = None, levels: Any = None) -> GroupInfluence:
    """Leave each level of a grouping factor out, refit, and measure the change (Chapter 12).

    For each level ``j`` of ``group`` the model is refitted, by the fit's
    criterion (REML or ML), to the rows of the other levels
    (:meth:`lmmtext.modelframe.ModelFrame.subset`: same coding, the formula
    not parsed again), and the changes in the fixed effects and in each
    variance component are recorded, with the Cook's distance of the group
    (Chapter 12, eq. ``ch12-cook``)

    .. math::

        D_j = (\\hat\\beta_{(-j)} - \\hat\\beta)'\\,\\widehat{\\mathrm{var}}(\\hat\\beta)^{-1}
              (\\hat\\beta_{(-j)} - \\hat\\beta) / p,

    ``var(beta_hat)`` the full fit's ``vcov``: the influence.ME package's
    ``cooks.distance`` of ``influence(fit, group)`` (Nieuwenhuis, te Grotenhuis
    and Pelzer 2012), which also refits without each group.  A ``scale(x)`` or
    ``center(x)`` in the formula keeps the full data's centre (influence.ME and
    a refit of the formula on the subset would recompute it).

    Each refit starts from the full fit's ``theta`` (``start=`` of
    :func:`lmmtext.lmm.fit_frame`), close to its optimum when one group is left out.

    Parameters
    ----------
    fit : LmmResult
    group : str, optional
        A grouping factor of the fit (a key of ``fit.ranef``); default the first.
    levels : sequence, optional
        Only these levels (default all).

    Returns
    -------
    GroupInfluence

    Raises
    ------
    TypeError
        If ``fit`` is not an :class:`~lmmtext.lmm.LmmResult`.
    ValueError
        If ``group`` is not a grouping factor of the fit, a level is not one of
        its levels, a refit is impossible (e.g. the level held every row of
        a level of a fixed-effect factor, or the factor has two levels), or
        the fit has a residual structure (Chapter 15).

    References
    ----------
    Nieuwenhuis, R., te Grotenhuis, M. and Pelzer, B. (2012). influence.ME: tools
    for detecting influential data in mixed effects models. *The R Journal* 4(2), 38-47.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_dyestuff
    >>> infl = influence_groups(lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff()))
    >>> infl.cooks_distance.idxmax(), round(float(infl.delta_fixef.loc["E", "Intercept"]), 1)
    ('E', -14.5)
    """
    _check_plain(fit, "influence_groups")
    frame = fit.frame
    group = frame.terms[0].name if group is None else group
    codes, all_levels = _group_codes(frame, group)
    if levels is None:
        chosen = list(range(all_levels.size))
    else:
        chosen = []
        for lv in ([levels] if isinstance(levels, str) else list(levels)):
            pos = all_levels.get_indexer([lv])[0]
            if pos < 0:
                raise ValueError(f"{lv!r} is not a level of {group!r}")
            chosen.append(pos)
    beta = fit.fixef
    full_vc = _varcomp(fit)
    vcov_factor = scipy.linalg.cho_factor(fit.vcov.to_numpy())
    rows_fixef, rows_vc, cooks, n_obs, singular = [], [], [], [], []
    for pos in chosen:
        keep = codes != pos
        sub = frame.subset(keep)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
            try:
                refit = fit_frame(sub, fit.method, start=fit.theta)
            except ValueError as exc:
                raise ValueError(f"cannot refit without {group} {all_levels[pos]!r}: {exc}") from None
        d = refit.fixef.to_numpy() - beta.to_numpy()
        rows_fixef.append(refit.fixef.to_numpy())
        rows_vc.append(_varcomp(refit).to_numpy())
        cooks.append(float(d @ scipy.linalg.cho_solve(vcov_factor, d)) / d.size)
        n_obs.append(int((~keep).sum()))
        singular.append(refit.singular)
    index = pd.Index(all_levels[chosen], name=group)
    fixef = pd.DataFrame(rows_fixef, index=index, columns=beta.index)
    varcomp = pd.DataFrame(rows_vc, index=index, columns=full_vc.index)
    return GroupInfluence(
        group=group, fixef=fixef, varcomp=varcomp, delta_fixef=fixef - beta,
        delta_varcomp=varcomp - full_vc, cooks_distance=pd.Series(cooks, index=index, name="cooks_distance"),
        n_obs=pd.Series(n_obs, index=index, name="n_obs"),
        singular=pd.Series(singular, index=index, name="singular"), full_fixef=beta.copy(),
        full_varcomp=full_vc,
    )


# -- random-effects structure ------------------------------------------------------------------
def re_pca(fit: LmmResult) -> dict[str, pd.DataFrame]:
    """Principal components of each grouping factor's relative covariance factor, as lme4's ``rePCA``.

    Chapter 12 (and the chapter on building a model): for a grouping factor with
    relative covariance factor ``T`` (``Sigma = sigma^2 T T'``; the terms of one
    factor side by side, block diagonal, as lme4's ``bdiag`` of ``Tlist``), the
    singular values ``d_1 >= ... >= d_s`` of ``T`` are the standard deviations,
    relative to ``sigma``, of the principal components of the random effects,
    and ``d_k^2 / sum d^2`` their proportions of variance.  A proportion at or
    near 0 says that ``Sigma`` has (about) rank ``< s``: the data support fewer
    independent random effects than the model has, the mark of an
    over-parameterised (maximal) model (Bates, Kliegl, Vasishth and Baayen 2015).

    Parameters
    ----------
    fit : LmmResult

    Returns
    -------
    dict of str to pandas.DataFrame
        For each grouping factor (the keys of ``fit.ranef``), rows
        ``"Standard deviation"``, ``"Proportion of Variance"``,
        ``"Cumulative Proportion"`` and columns ``PC1``, ... (lme4's
        ``summary(rePCA(fit))``, which rounds the proportions to 5 decimals;
        these are not rounded).

    Raises
    ------
    TypeError
        If ``fit`` is not an :class:`~lmmtext.lmm.LmmResult`.

    References
    ----------
    Bates, D., Kliegl, R., Vasishth, S. and Baayen, H. (2015). Parsimonious mixed
    models. arXiv:1506.04967.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> pca = re_pca(lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy()))
    >>> pca["Subject"].loc["Proportion of Variance"].round(4).tolist()
    [0.9461, 0.0539]
    """
    _check_fit(fit)
    blocks: dict[str, list[np.ndarray]] = {}
    start = 0
    for term in fit.frame.terms:
        blocks.setdefault(term.name, []).append(term.lambda_factor(fit.theta[start:start + term.n_theta]))
        start += term.n_theta
    out = {}
    for name, Ts in blocks.items():
        d = scipy.linalg.svdvals(scipy.linalg.block_diag(*Ts))
        total = float(np.sum(d**2))
        prop = d**2 / total if total > 0 else np.full(d.size, np.nan)
        out[name] = pd.DataFrame(
            [d, prop, np.cumsum(prop)],
            index=["Standard deviation", "Proportion of Variance", "Cumulative Proportion"],
            columns=[f"PC{k + 1}" for k in range(d.size)],
        )
    return out


@dataclass(frozen=True, repr=False)
class Comparison:
    """A table comparing nested models (the value of :func:`compare`), as lme4's ``anova``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model, ordered by number of parameters: ``npar``, ``AIC``,
        ``BIC``, ``logLik``, ``deviance`` (``-2 logLik``), ``Chisq``
        (``2 max(0, logLik - logLik of the row above)``), ``Df`` and
        ``Pr(>Chisq)``.
    criterion : {"ML", "REML"}
        The likelihood the table compares.
    refitted : bool
        Whether REML fits were refitted by ML; the printout then starts with
        lme4's message.
    fits : list
        The fits compared (the ML refits, if refitted), in the table's order.
    formulas : list of str
    """

    table: pd.DataFrame
    criterion: str
    refitted: bool
    fits: list = field(default_factory=list)
    formulas: list = field(default_factory=list)

    @property
    def message(self) -> str:
        """lme4's message when it refits, else an empty string."""
        return REFIT_MESSAGE if self.refitted else ""

    def __repr__(self) -> str:
        lines = [REFIT_MESSAGE] if self.refitted else []
        if self.criterion == "REML":
            lines.append("Compared on the REML criterion (same fixed effects, not refitted)")
        lines.append("Models:")
        lines += [f"{name}: {f}" for name, f in zip(self.table.index, self.formulas)]
        fmt = {"npar": "{:.0f}".format, "AIC": "{:.1f}".format, "BIC": "{:.1f}".format,
               "logLik": "{:.2f}".format, "deviance": "{:.1f}".format, "Chisq": "{:.4f}".format,
               "Df": "{:.0f}".format, "Pr(>Chisq)": "{:.4g}".format}
        text = self.table.to_string(formatters=fmt, na_rep="")
        return "\n".join(lines + [text])


def _same_data(fits: list) -> None:
    first = fits[0].frame
    for k, f in enumerate(fits[1:], start=2):
        fr = f.frame
        if fr.n != first.n or not fr.index.equals(first.index) or not np.array_equal(fr.y, first.y):
            raise ValueError(
                f"all models must be fitted to the same data (the same rows and response): model 1 "
                f"uses {first.n} rows, model {k} {fr.n} rows or another response"
            )


def compare(*fits: Any, refit_ml: bool = True, names: Any = None) -> Comparison:
    """Compare nested models by AIC, BIC, log-likelihood and likelihood-ratio tests, as lme4's ``anova``.

    As ``anova(m1, m2, ...)`` of lme4 (Chapter 12 and the chapter on building a
    model): the models are ordered by their number of parameters ``npar``
    (fixed effects, ``theta`` and ``sigma``) and each row's ``Chisq`` is
    ``2 (logLik - logLik of the row above)``, referred to ``chi^2`` with ``Df``
    the difference in ``npar`` (Chapter 10, eqs. (10.1)-(10.2)).

    REML log-likelihoods of models with different fixed effects are likelihoods
    of different data (different error contrasts) and cannot be compared.  With
    ``refit_ml=True`` (lme4's ``refit = TRUE``, the default) every REML fit is
    refitted by ML first, through its model frame, and the printout says so with
    lme4's message ``"refitting model(s) with ML (instead of REML)"``.  With
    ``refit_ml=False`` the fits are compared on the criterion they were fitted
    by; REML fits must then have the same fixed effects (a comparison of random
    effects only, lme4's ``refit = FALSE``).  The ``chi^2`` reference is
    conservative for a variance tested at 0 (Chapter 10, eq. (10.4)).

    Parameters
    ----------
    *fits : LmmResult or lmmtext.inference.OlsResult
        Two or more fits to the same rows and response.
    refit_ml : bool, default True
    names : sequence of str, optional
        Row names; default ``"m1"``, ``"m2"``, ... in the order given.

    Returns
    -------
    Comparison
        ``.table`` holds the numbers; printing shows them as lme4 does.

    Raises
    ------
    TypeError
        If a fit is not a fit.
    ValueError
        If fewer than two fits are given, they use different rows or
        responses, ``names`` has the wrong length, or (``refit_ml=False``)
        their criteria differ or REML fits have different fixed effects.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> s = load_sleepstudy()
    >>> m1 = lmm("Reaction ~ Days + (1 | Subject)", s)
    >>> m2 = lmm("Reaction ~ Days + (Days | Subject)", s)
    >>> cmp = compare(m1, m2)
    >>> cmp.message
    'refitting model(s) with ML (instead of REML)'
    >>> round(float(cmp.table.loc["m2", "Chisq"]), 2), int(cmp.table.loc["m2", "Df"])
    (42.14, 2)
    """
    from .inference import OlsResult, _fit_ols

    if len(fits) < 2:
        raise ValueError(f"compare needs at least two fits, got {len(fits)}")
    for k, f in enumerate(fits, start=1):
        if not isinstance(f, (LmmResult, OlsResult)):
            raise TypeError(f"fit {k} must be a fit from lmm() or inference.ols(), got {type(f).__name__}")
    if not isinstance(refit_ml, (bool, np.bool_)):
        raise TypeError(f"refit_ml must be True or False, got {refit_ml!r}")
    names = [f"m{k}" for k in range(1, len(fits) + 1)] if names is None else [str(v) for v in names]
    if len(names) != len(fits) or len(set(names)) != len(names):
        raise ValueError(f"names must give {len(fits)} different names, got {names}")
    fits = list(fits)
    _same_data(fits)
    methods = {f.method for f in fits}
    refitted = False
    if refit_ml:
        if "REML" in methods:
            refitted = True
            fits = [f if f.method == "ML" else
                    (fit_frame(f.frame, "ML", residual=f.residual) if isinstance(f, LmmResult)
                     else _fit_ols(f.frame, "ML"))
                    for f in fits]
        criterion = "ML"
    else:
        if len(methods) > 1:
            raise ValueError("the fits use different criteria (REML and ML); fit them alike, or pass "
                             "refit_ml=True to refit the REML ones by ML")
        criterion = methods.pop()
        if criterion == "REML":
            first = fits[0]
            for k, f in enumerate(fits[1:], start=2):
                same = list(f.fixef.index) == list(first.fixef.index) and np.allclose(f.frame.X, first.frame.X)
                if not same:
                    raise ValueError(
                        f"models 1 and {k} have different fixed effects: their REML criteria are "
                        "likelihoods of different error contrasts and cannot be compared; pass "
                        "refit_ml=True to compare them by ML"
                    )
    npar = np.array([f.n_params for f in fits], dtype=float)
    order = np.argsort(npar, kind="stable")
    fits = [fits[k] for k in order]
    names = [names[k] for k in order]
    npar = npar[order]
    loglik = np.array([f.loglik for f in fits])
    nobs = fits[0].nobs
    chisq = np.r_[np.nan, 2.0 * np.maximum(0.0, np.diff(loglik))]
    df = np.r_[np.nan, np.diff(npar)]
    with np.errstate(invalid="ignore"):
        p = np.where(df > 0, scipy.stats.chi2.sf(chisq, np.where(df > 0, df, 1)), np.nan)
    table = pd.DataFrame({
        "npar": npar, "AIC": -2.0 * loglik + 2.0 * npar, "BIC": -2.0 * loglik + np.log(nobs) * npar,
        "logLik": loglik, "deviance": -2.0 * loglik, "Chisq": chisq, "Df": df, "Pr(>Chisq)": p,
    }, index=names)
    return Comparison(table=table, criterion=criterion, refitted=refitted, fits=fits,
                      formulas=[f.formula for f in fits])


# -- power by simulation ------------------------------------------------------------------------
@dataclass(frozen=True)
class AssumedModel:
    """A model with assumed parameter values, for planning a study (:func:`power_simulation`).

    Attributes
    ----------
    formula : str
        An lme4 formula, as for :func:`lmmtext.lmm`.
    fixef : mapping of str to float
        A value for every fixed effect, by its name in ``lmm``'s convention
        (``"Intercept"``, ``"x"``, ``"trt[b]"``).
    covariance : mapping of str to float or array_like
        For each grouping factor, the variance (a scalar term) or the ``s x s``
        covariance matrix of its random effects, in the order of the term's
        coefficients.
    sigma2 : float
        Residual variance.
    method : {"REML", "ML"}, default "REML"
        How each simulated data set is fitted.
    """

    formula: str
    fixef: Mapping[str, float]
    covariance: Mapping[str, Any]
    sigma2: float
    method: str = "REML"


@dataclass(frozen=True, repr=False)
class PowerResult:
    """The value of :func:`power_simulation`.

    Attributes
    ----------
    power : float
        The proportion of simulated data sets in which the test rejected.
    mc_se : float
        Its Monte Carlo standard error ``sqrt(power (1 - power) / n_sim)``.
    n_sim : int
    term, ddf : the coefficient tested and the test (``None``: Wald z).
    alpha : float
    estimates, p_values : ndarray of shape (n_sim,)
        The estimate of the coefficient and the p-value in each simulation.
    n_singular : int
        Simulated fits with a variance on the boundary.
    true_value : float
        The coefficient's value in the model simulated from.
    """

    power: float
    mc_se: float
    n_sim: int
    term: str
    ddf: str | None
    alpha: float
    estimates: np.ndarray
    p_values: np.ndarray
    n_singular: int
    true_value: float

    def __repr__(self) -> str:
        test = "Wald z" if self.ddf is None else f"t ({self.ddf})"
        return (f"PowerResult(term={self.term!r}, {test}, alpha={self.alpha:g}: power "
                f"{self.power:.3f} (Monte Carlo SE {self.mc_se:.3f}, n_sim={self.n_sim}))")


@dataclass(frozen=True)
class _Design:
    frame: ModelFrame
    mean: np.ndarray
    factors: list[tuple[scipy.sparse.csr_array, np.ndarray]]   # (Z_k, square root of Sigma_k) per term
    sd: np.ndarray
    method: str
    true_value: float


def _sqrt_psd(C: np.ndarray, what: str) -> np.ndarray:
    C = np.atleast_2d(np.asarray(C, dtype=float))
    if C.ndim != 2 or C.shape[0] != C.shape[1] or not np.allclose(C, C.T) or not np.all(np.isfinite(C)):
        raise ValueError(f"{what} must be a finite symmetric matrix, got {C!r}")
    w, U = scipy.linalg.eigh(C)
    if w.min() < -1e-10 * max(1.0, w.max()):
        raise ValueError(f"{what} is not positive semi-definite (eigenvalue {w.min():.3g})")
    return U * np.sqrt(np.clip(w, 0.0, None))


def _with_placeholder(data: pd.DataFrame, frame_formula: Any) -> pd.DataFrame:
    """``data`` with a placeholder response (positive, varying) if it lacks the response column."""
    resp = frame_formula.response
    if resp in data.columns:
        return data
    if not resp.isidentifier():
        raise ValueError(f"data must hold the variables of the response {resp!r}")
    return data.assign(**{resp: np.arange(1.0, len(data) + 1.0)})


def _design(fit_or_model: Any, data: Any, term: str, caller: Mapping) -> _Design:
    from .formula import parse_formula

    if isinstance(fit_or_model, LmmResult):
        fit = fit_or_model
        _check_plain(fit, "power_simulation")
        if data is None:
            frame = fit.frame
        else:
            if not isinstance(data, pd.DataFrame):
                raise TypeError(f"data must be a pandas DataFrame or None, got {type(data).__name__}")
            if fit.frame.weights is not None:
                raise ValueError("a fit with weights simulates on its own rows only: pass data=None")
            frame = ModelFrame.build(fit.frame.formula, _with_placeholder(data, fit.frame.formula),
                                     caller=fit.frame.caller)
            if list(frame.fixef_names) != list(fit.fixef.index):
                raise ValueError(
                    f"on data the fixed effects are {list(frame.fixef_names)}, the fit's are "
                    f"{list(fit.fixef.index)}: the design must have the levels the fit has"
                )
        beta = fit.fixef.to_numpy()
        covs = fit.covariance
        sigma2, method = fit.sigma2, fit.method
    elif isinstance(fit_or_model, AssumedModel):
        model = fit_or_model
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame (the planned design), "
                            f"got {type(data).__name__}")
        if model.method not in ("REML", "ML"):
            raise ValueError(f"method must be 'REML' or 'ML', got {model.method!r}")
        parsed = parse_formula(model.formula)
        frame = ModelFrame.build(parsed, _with_placeholder(data, parsed), caller=caller)
        if not frame.terms:
            raise ValueError(f"formula {model.formula!r} has no random-effects term")
        names = list(frame.fixef_names)
        given = dict(model.fixef)
        if set(given) != set(names):
            raise ValueError(f"fixef must give a value for each fixed effect {names}; missing "
                             f"{sorted(set(names) - set(given))}, unknown {sorted(set(given) - set(names))}")
        beta = np.array([float(given[k]) for k in names])
        groups = list(dict.fromkeys(t.name for t in frame.terms))
        if set(model.covariance) != set(groups):
            raise ValueError(f"covariance must give one entry per grouping factor {groups}, "
                             f"got {sorted(model.covariance)}")
        covs = {}
        for g in groups:
            cn = [c for t in frame.terms if t.name == g for c in t.cnames]
            C = np.atleast_2d(np.asarray(model.covariance[g], dtype=float))
            if C.shape != (len(cn), len(cn)):
                raise ValueError(f"covariance[{g!r}] must be {len(cn)} x {len(cn)} (coefficients {cn}), "
                                 f"got shape {C.shape}")
            covs[g] = pd.DataFrame(C, index=cn, columns=cn)
        sigma2 = float(model.sigma2)
        if not np.isfinite(sigma2) or sigma2 <= 0:
            raise ValueError(f"sigma2 must be a positive number, got {model.sigma2!r}")
        method = model.method
    else:
        raise TypeError(f"fit_or_model must be an LmmResult or an AssumedModel, got "
                        f"{type(fit_or_model).__name__}")
    names = list(frame.fixef_names)
    if term not in names:
        raise ValueError(f"term must be one of the fixed effects {names}, got {term!r}")
    factors = []
    for t in frame.terms:
        C = covs[t.name].loc[list(t.cnames), list(t.cnames)].to_numpy()
        factors.append((t.Z, _sqrt_psd(C, f"the covariance of {t.name}")))
    sd = np.sqrt(sigma2 / _weights(frame))
    return _Design(frame=frame, mean=frame.X @ beta, factors=factors, sd=sd, method=method,
                   true_value=float(beta[names.index(term)]))


def _draw(design: _Design, rng: np.random.Generator) -> np.ndarray:
    y = design.mean.copy()
    for Z, A in design.factors:
        s = A.shape[0]
        b = rng.standard_normal((Z.shape[1] // s, s)) @ A.T
        y += Z @ b.ravel()
    return y + design.sd * rng.standard_normal(y.size)


def power_simulation(fit_or_model: LmmResult | AssumedModel, data: pd.DataFrame | None, term: str,
                     n_sim: int, rng: np.random.Generator, ddf: str | None = "Satterthwaite",
                     alpha: float = 0.05) -> PowerResult:
    """The power of a test of one fixed effect, by simulating and refitting (Chapter 12).

    ``n_sim`` times: draw a response from the model on the rows of ``data``
    (``y* = X beta + Z b* + e*``, ``b*`` per level from ``N(0, Sigma_k)``,
    ``e* ~ N(0, sigma^2 W^{-1})``), refit the model to it through its model
    frame (same design, the formula not parsed again) and test ``beta_term = 0``
    at level ``alpha`` with ``ddf``'s test (:func:`lmmtext.ddf.coef_table`).
    The power estimate is the proportion of rejections, with Monte Carlo
    standard error ``sqrt(p (1 - p) / n_sim)`` (Chapter 12, eq. ``ch12-power``).

    The model is either a fit (its estimates are the assumed values: the power
    of a new study like it, on the design ``data``; "observed power" for the
    fitted data themselves says nothing new about them) or an
    :class:`AssumedModel` with values chosen for a planned study.

    Parameters
    ----------
    fit_or_model : LmmResult or AssumedModel
    data : pandas.DataFrame or None
        The design: the columns the formula uses (the response may be absent).
        ``None`` with a fit: the fit's own rows.
    term : str
        The fixed effect to test, by its name (``"x"``, ``"trt[b]"``).
    n_sim : int
        Number of simulated data sets, at least 1.
    rng : numpy.random.Generator
        Seeded: the same seed gives the same answer.
    ddf : {"Satterthwaite", "Kenward-Roger", None}, default "Satterthwaite"
        The t test's degrees of freedom (lmerTest's); ``None`` for the Wald z test.
    alpha : float, default 0.05

    Returns
    -------
    PowerResult

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``term`` is not a fixed effect, ``n_sim < 1``, ``alpha`` is not in
        (0, 1), ``ddf`` is not a known test, the assumed model does not match
        the formula (a missing fixed effect or grouping factor, a covariance of
        the wrong size or not positive semi-definite, ``sigma2 <= 0``), or the
        fit has a residual structure (Chapter 15).

    Examples
    --------
    >>> import pandas as pd
    >>> design = pd.DataFrame({"g": [f"s{i}" for i in range(20) for _ in range(4)],
    ...                        "trt": [i % 2 for i in range(20) for _ in range(4)]})
    >>> model = AssumedModel("y ~ trt + (1 | g)", {"Intercept": 0.0, "trt": 1.0}, {"g": 0.25}, 1.0)
    >>> res = power_simulation(model, design, "trt", 20, np.random.default_rng(12), ddf=None)
    >>> 0 <= res.power <= 1, res.n_sim
    (True, 20)
    """
    from .ddf import DDF_METHODS, coef_table

    n_sim = _check_count(n_sim, "n_sim")
    _check_rng(rng)
    if ddf not in DDF_METHODS + (None,):
        raise ValueError(f"ddf must be one of {DDF_METHODS + (None,)}, got {ddf!r}")
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.floating)):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not isinstance(term, str):
        raise TypeError(f"term must be the name of a fixed effect, got {type(term).__name__}")
    design = _design(fit_or_model, data, term, caller_namespace(1))
    if ddf == "Kenward-Roger" and design.method != "REML":
        raise ValueError("Kenward-Roger's method needs REML fits")
    k = list(design.frame.fixef_names).index(term)
    estimates, p_values = np.empty(n_sim), np.empty(n_sim)
    n_singular = 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
        for i in range(n_sim):
            fit = fit_frame(design.frame.with_response(_draw(design, rng)), design.method)
            n_singular += fit.singular
            estimates[i] = fit.fixef.iloc[k]
            if ddf is None:
                z = estimates[i] / fit.fixef_se.iloc[k]
                p_values[i] = 2.0 * scipy.stats.norm.sf(abs(z))
            else:
                p_values[i] = coef_table(fit, ddf).iloc[k, -1]
    power = float(np.mean(p_values < alpha))
    return PowerResult(power=power, mc_se=float(np.sqrt(power * (1.0 - power) / n_sim)), n_sim=n_sim,
                       term=term, ddf=ddf, alpha=float(alpha), estimates=estimates, p_values=p_values,
                       n_singular=int(n_singular), true_value=design.true_value)
