"""No pooling, complete pooling and partial pooling of grouped data (Chapters 7 and 8).

A model fitted to grouped data can treat the groups in three ways:

- *no pooling*: one ordinary least-squares fit per group (:func:`no_pooling`);
- *complete pooling*: one least-squares fit that ignores the groups
  (:func:`complete_pooling`);
- *partial pooling*: the mixed model's coefficients ``beta_hat + b_hat_i``, the
  fixed effects plus the conditional modes of the random effects
  (:func:`partial_pooling`, lme4's ``coef``).

The uncertainty of a conditional mode is measured by the covariance of the
conditional distribution of ``b_i`` given the data (:func:`conditional_variances`,
lme4's ``ranef(fit, condVar = TRUE)``), from which :func:`ranef_intervals` makes
the intervals of a caterpillar plot.  These functions assume a single grouping
factor: the random effects of different levels are then independent given the
data, and each level's conditional covariance is a small ``s x s`` matrix.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.stats

from ._validate import as_variance, check_full_column_rank

__all__ = [
    "complete_pooling",
    "conditional_variances",
    "no_pooling",
    "partial_pooling",
    "ranef_intervals",
]


def _check_frame(data: Any, columns: list[str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found in data (columns: {list(data.columns)})")
    if data[columns].isna().to_numpy().any():
        raise ValueError(f"the columns {columns} contain missing values (NaN)")
    return data


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    values = data[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise TypeError(f"column {column!r} must be numeric, got dtype {values.dtype}")
    return values.to_numpy(dtype=float)


def _levels(data: pd.DataFrame, group: str) -> tuple[pd.Index, np.ndarray]:
    """Observed levels of ``group`` (in the fitter's order) and each row's level code."""
    cat = pd.Categorical(data[group])
    uniq, codes = np.unique(cat.codes, return_inverse=True)
    levels = pd.Index(cat.categories[uniq], name=group)
    if levels.size < 2:
        raise ValueError(f"grouping factor {group!r} has only {levels.size} level; need at least two")
    return levels, codes


def _design(data: pd.DataFrame, covariate: str | None) -> tuple[np.ndarray, list[str]]:
    ones = np.ones((len(data), 1))
    if covariate is None:
        return ones, ["Intercept"]
    return np.column_stack([ones, _numeric(data, covariate)]), ["Intercept", covariate]


def no_pooling(data: Any, response: str, group: str, covariate: str | None = None) -> pd.DataFrame:
    """Per-group least-squares coefficients (no pooling), Chapter 8, eq. (8.4).

    For each level ``i`` of ``group`` the ordinary least-squares fit of
    ``response`` on ``[1, covariate]`` within that level alone:
    ``(X_i' X_i)^{-1} X_i' y_i``.  Without a covariate this is the group mean
    ``ybar_i.`` (Chapter 7).

    Parameters
    ----------
    data : pandas.DataFrame
    response : str
        Name of the numeric response column.
    group : str
        Name of the grouping column.
    covariate : str, optional
        Name of a numeric covariate; if given, each group gets an intercept
        and a slope.

    Returns
    -------
    pandas.DataFrame
        One row per level (index named ``group``, levels in the fitter's order),
        columns ``"Intercept"`` and, with a covariate, its name.

    Raises
    ------
    ValueError
        If a column is missing or holds NaN, there are fewer than two groups,
        or a group's design is rank deficient (e.g. one distinct covariate value).
    TypeError
        If ``data`` is not a DataFrame or a used column is not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "x": [0, 1, 0, 1],
    ...                   "g": ["a", "a", "b", "b"]})
    >>> no_pooling(d, "y", "g", "x").round(6).to_numpy().tolist()
    [[1.0, 2.0], [2.0, 4.0]]
    """
    columns = [response, group] + ([covariate] if covariate is not None else [])
    data = _check_frame(data, columns)
    y = _numeric(data, response)
    X, names = _design(data, covariate)
    levels, codes = _levels(data, group)
    coef = np.empty((levels.size, len(names)))
    for k, level in enumerate(levels):
        rows = codes == k
        check_full_column_rank(X[rows], f"the design of group {level!r}")
        coef[k] = np.linalg.lstsq(X[rows], y[rows], rcond=None)[0]
    return pd.DataFrame(coef, index=levels, columns=names)


def complete_pooling(data: Any, response: str, covariate: str | None = None) -> pd.Series:
    """One least-squares fit to all the data, ignoring the groups (complete pooling), Chapter 8, eq. (8.5).

    Parameters
    ----------
    data : pandas.DataFrame
    response : str
        Name of the numeric response column.
    covariate : str, optional
        Name of a numeric covariate.

    Returns
    -------
    pandas.Series
        ``"Intercept"`` and, with a covariate, its slope.

    Raises
    ------
    ValueError
        If a column is missing or holds NaN, or the design is rank deficient.
    TypeError
        If ``data`` is not a DataFrame or a used column is not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "x": [0, 1, 0, 1]})
    >>> complete_pooling(d, "y", "x").round(6).tolist()
    [1.5, 3.0]
    """
    columns = [response] + ([covariate] if covariate is not None else [])
    data = _check_frame(data, columns)
    y = _numeric(data, response)
    X, names = _design(data, covariate)
    check_full_column_rank(X, "the pooled design")
    return pd.Series(np.linalg.lstsq(X, y, rcond=None)[0], index=names, name="complete pooling")


def partial_pooling(fit: Any, group: str) -> pd.DataFrame:
    """The mixed model's coefficients per level, ``beta_hat + b_hat_i`` (lme4's ``coef``), Chapter 8, eq. (8.6).

    Every fixed effect is copied to every level; a coefficient that also has a
    random effect for ``group`` gets that level's conditional mode added.

    Parameters
    ----------
    fit : lmmtext.lmm.LmmResult
    group : str
        A grouping factor of the fit (a key of ``fit.ranef``).

    Returns
    -------
    pandas.DataFrame
        One row per level, columns the fixed-effect names.

    Raises
    ------
    ValueError
        If ``group`` is not a grouping factor of the fit, or one of its random
        effects has no matching fixed effect.

    Examples
    --------
    >>> from lmmtext.lmm import lmm
    >>> from lmmtext.datasets import load_dyestuff
    >>> fit = lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff())
    >>> round(float(partial_pooling(fit, "Batch").loc["E", "Intercept"]), 2)
    1584.23
    """
    ranef = _ranef_of(fit, group)
    extra = [c for c in ranef.columns if c not in fit.fixef.index]
    if extra:
        raise ValueError(
            f"random effect(s) {extra} of {group!r} have no fixed effect to add them to"
        )
    coef = pd.DataFrame(np.tile(fit.fixef.to_numpy(), (ranef.shape[0], 1)),
                        index=ranef.index, columns=list(fit.fixef.index))
    coef[list(ranef.columns)] += ranef.to_numpy()
    return coef


def _ranef_of(fit: Any, group: str) -> pd.DataFrame:
    ranef = getattr(fit, "ranef", None)
    if not isinstance(ranef, dict):
        raise TypeError(f"fit must be an LmmResult (from lmmtext.lmm.lmm), got {type(fit).__name__}")
    if group not in ranef:
        raise ValueError(f"{group!r} is not a grouping factor of the fit (factors: {list(ranef)})")
    return ranef[group]


def conditional_variances(data: Any, group: str, covariance: Any, sigma2: float) -> np.ndarray:
    """Covariance of ``b_i`` given the data, one ``s x s`` matrix per level, Chapter 7, eq. (7.5).

    With ``beta`` and the variance parameters taken as known, the random
    effects of level ``i`` have the conditional distribution
    ``b_i | y ~ N(b_hat_i, Sigma - Sigma Z_i' V_i^{-1} Z_i Sigma)``, where
    ``Z_i`` (``n_i x s``) holds that level's rows of the term's model matrix,
    ``Sigma`` (``s x s``) is ``cov(b_i)`` and ``V_i = Z_i Sigma Z_i' + sigma^2 I``.
    When ``Sigma`` is invertible this equals the inverse of the level's block
    of the mixed-model coefficient matrix, ``(Z_i'Z_i / sigma^2 + Sigma^{-1})^{-1}``;
    for a random intercept it is ``sigma^2 / (n_i + sigma^2 / sigma_a^2)``.
    The form used here needs only ``V_i`` to be positive definite, so a
    singular ``Sigma`` (a variance estimated as 0) is allowed and gives 0.

    These are lme4's ``condVar``: they treat ``beta_hat`` as the true
    ``beta``.  Henderson's prediction-error variance
    (:func:`lmmtext.mixed.prediction_error_cov`) also counts the error of
    ``beta_hat`` and is larger (Chapter 7, exercise).

    Parameters
    ----------
    data : pandas.DataFrame
        The data of the fit.
    group : str
        The grouping column.  It must be the fit's only grouping factor.
    covariance : pandas.DataFrame of shape (s, s)
        ``Sigma``, e.g. ``fit.covariance[group]``.  Its index names the
        columns of ``Z_i``: ``"Intercept"`` is a column of ones, any other
        name a numeric column of ``data``.
    sigma2 : float
        The residual variance, positive.

    Returns
    -------
    ndarray of shape (l, s, s)
        The conditional covariance matrix of each of the ``l`` levels, in the
        fitter's level order (sorted observed levels).

    Raises
    ------
    ValueError
        If a column is missing or holds NaN, ``covariance`` is not a symmetric
        positive semi-definite square frame, or ``sigma2`` is not positive.
    TypeError
        If ``data`` or ``covariance`` is not a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": ["a", "a", "b", "b", "b"]})
    >>> Sigma = pd.DataFrame([[2.0]], index=["Intercept"], columns=["Intercept"])
    >>> conditional_variances(d, "g", Sigma, 1.0).ravel().round(4).tolist()
    [0.4, 0.2857]
    """
    if not isinstance(covariance, pd.DataFrame):
        raise TypeError(f"covariance must be a pandas DataFrame, got {type(covariance).__name__}")
    names = list(covariance.index)
    if list(covariance.columns) != names:
        raise ValueError("covariance must be square with the same row and column names")
    Sigma = covariance.to_numpy(dtype=float)
    if not np.all(np.isfinite(Sigma)) or not np.allclose(Sigma, Sigma.T):
        raise ValueError("covariance must be finite and symmetric")
    if np.linalg.eigvalsh(Sigma).min() < -1e-10 * max(1.0, np.abs(Sigma).max()):
        raise ValueError("covariance must be positive semi-definite")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    covariates = [c for c in names if c != "Intercept"]
    data = _check_frame(data, [group] + covariates)
    Z = np.column_stack([np.ones(len(data)) if c == "Intercept" else _numeric(data, c) for c in names])
    levels, codes = _levels(data, group)
    out = np.empty((levels.size, len(names), len(names)))
    for k in range(levels.size):
        Zi = Z[codes == k]
        ZS = Zi @ Sigma
        cho = scipy.linalg.cho_factor(ZS @ Zi.T + sigma2 * np.eye(Zi.shape[0]), lower=True)
        C = Sigma - ZS.T @ scipy.linalg.cho_solve(cho, ZS)
        out[k] = (C + C.T) / 2
    return out


def ranef_intervals(fit: Any, data: Any, group: str, level: float = 0.95) -> pd.DataFrame:
    """Conditional modes with normal prediction intervals, for a caterpillar plot, Chapter 7, eq. (7.6).

    ``b_hat_ij -/+ z sqrt(c_ijj)`` with ``c_ijj`` the diagonal of the fit's
    conditional covariances ``fit.ranef_var[group]`` (computed from the fit's
    Cholesky factor; for a single grouping factor they equal
    :func:`conditional_variances`) and ``z`` the ``(1 + level) / 2`` normal quantile.

    Parameters
    ----------
    fit : lmmtext.lmm.LmmResult
        A fit with ``group`` among its grouping factors.
    data : pandas.DataFrame
        The data the model was fitted to (its levels of ``group`` are checked
        against the fit's).
    group : str
    level : float, default 0.95
        Coverage of the intervals, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per level and coefficient: columns ``group``
        (level label), ``term``, ``estimate``, ``sd``, ``lower``, ``upper``.

    Raises
    ------
    ValueError
        If ``group`` is not a grouping factor of the fit, the data's levels
        differ from the fit's, or ``level`` is outside (0, 1).

    Examples
    --------
    >>> from lmmtext.lmm import lmm
    >>> from lmmtext.datasets import load_dyestuff
    >>> d = load_dyestuff()
    >>> tab = ranef_intervals(lmm("Yield ~ 1 + (1 | Batch)", d), d, "Batch")
    >>> round(float(tab["sd"].iloc[0]), 3)
    19.587
    """
    ranef = _ranef_of(fit, group)
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level}")
    cov = fit.covariance[group]
    cond = fit.ranef_var[group]
    levels, _ = _levels(data, group)
    if not levels.equals(ranef.index):
        raise ValueError(f"the levels of {group!r} in data differ from those of the fit")
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    rows = []
    for j, term in enumerate(cov.index):
        est = ranef[term].to_numpy()
        sd = np.sqrt(np.clip(cond[:, j, j], 0.0, None))
        rows.append(pd.DataFrame({"group": ranef.index, "term": term, "estimate": est, "sd": sd,
                                  "lower": est - z * sd, "upper": est + z * sd}))
    return pd.concat(rows, ignore_index=True)
