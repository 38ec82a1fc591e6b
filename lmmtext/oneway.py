"""The one-way model ``y_ij = mu + alpha_i + e_ij`` (Chapter 1).

Defined in Chapter 1, "Fixed and random effects": simulation, group means,
the fixed-effect estimates ``ybar_i. - ybar..``, the method-of-moments (ANOVA)
estimates of the variance components, the shrinkage factor and the BLUP of the
random group effects; and, for Chapter 11 ("Inference for variance components"),
the exact F test of ``sigma_a^2 = 0``, exact intervals for ``sigma^2``,
``sigma_a^2 / sigma^2`` and the intraclass correlation, and the modified
large-sample interval for ``sigma_a^2``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._validate import as_variance, as_vector, group_codes

__all__ = [
    "AnovaEstimates",
    "FTest",
    "anova_estimates",
    "between_variance_interval_mls",
    "f_test_between",
    "icc_interval",
    "sigma2_interval",
    "variance_ratio_interval",
    "blup",
    "fixed_effects",
    "gls_mean",
    "group_means",
    "group_sizes",
    "shrinkage_factor",
    "simulate_oneway",
]


def simulate_oneway(
    n_per_group: Any,
    mu: float,
    sigma_a: float,
    sigma: float,
    rng: np.random.Generator,
    *,
    return_effects: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate the random-effects one-way model, Chapter 1, eq. (1.1).

    ``y_ij = mu + alpha_i + e_ij`` with ``alpha_i ~ N(0, sigma_a^2)`` and
    ``e_ij ~ N(0, sigma^2)``, all independent.

    Parameters
    ----------
    n_per_group : sequence of int
        The group sizes ``n_1, ..., n_a`` (unequal sizes allowed, each at least 1).
    mu : float
        The overall mean.
    sigma_a, sigma : float
        Standard deviations (not variances) of the group effects and the errors.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(1)``.
    return_effects : bool, default False
        Also return the simulated ``alpha_i``.

    Returns
    -------
    y : ndarray of shape (N,)
        The responses, group by group.
    groups : ndarray of int, shape (N,)
        The group label ``0, ..., a-1`` of each response.
    alpha : ndarray of shape (a,)
        The true group effects (only if ``return_effects``).

    Raises
    ------
    ValueError
        If a group size is below 1, there are fewer than two groups, or a
        standard deviation is negative or not finite.
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> y, g = simulate_oneway([2, 3], 10.0, 1.0, 0.5, np.random.default_rng(0))
    >>> y.shape, g.tolist()
    ((5,), [0, 0, 1, 1, 1])
    """
    sizes = np.asarray(n_per_group)
    if sizes.ndim != 1 or sizes.dtype.kind not in "iu":
        raise TypeError("n_per_group must be a one-dimensional sequence of integers")
    if sizes.size < 2:
        raise ValueError(f"n_per_group must describe at least two groups, got {sizes.size}")
    if (sizes < 1).any():
        raise ValueError("every group needs at least one observation; n_per_group has a size below 1")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(1)")
    mu = float(as_vector([mu], "mu")[0])
    sigma_a = as_variance(sigma_a, "sigma_a")
    sigma = as_variance(sigma, "sigma")
    groups = np.repeat(np.arange(sizes.size), sizes)
    alpha = rng.normal(0.0, sigma_a, size=sizes.size)
    y = mu + alpha[groups] + rng.normal(0.0, sigma, size=groups.size)
    return (y, groups, alpha) if return_effects else (y, groups)


def _prepare(y: Any, groups: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = as_vector(y, "y")
    labels, codes = group_codes(groups, y.size)
    return y, labels, codes


def _sizes_and_means(y: np.ndarray, codes: np.ndarray, a: int) -> tuple[np.ndarray, np.ndarray]:
    n_i = np.bincount(codes, minlength=a).astype(float)
    return n_i, np.bincount(codes, weights=y, minlength=a) / n_i


def _series(values: np.ndarray, labels: np.ndarray, name: str) -> pd.Series:
    return pd.Series(values, index=pd.Index(labels, name="group"), name=name)


def group_sizes(y: Any, groups: Any) -> pd.Series:
    """The group sizes ``n_i`` (Chapter 1), indexed by group label."""
    y, labels, codes = _prepare(y, groups)
    return _series(np.bincount(codes).astype(int), labels, "n_i")


def group_means(y: Any, groups: Any) -> pd.Series:
    """The group means ``ybar_i.`` (Chapter 1), indexed by sorted group label.

    Examples
    --------
    >>> group_means([1.0, 3.0, 10.0], ["a", "a", "b"]).tolist()
    [2.0, 10.0]
    """
    y, labels, codes = _prepare(y, groups)
    _, means = _sizes_and_means(y, codes, labels.size)
    return _series(means, labels, "ybar_i")


def fixed_effects(y: Any, groups: Any) -> pd.Series:
    """Fixed-effect estimates ``alpha_hat_i = ybar_i. - ybar..``, Chapter 1, eq. (1.2).

    ``ybar..`` is the mean of all ``N`` observations.  These are the least-squares
    estimates of the group effects under the constraint ``sum_i n_i alpha_i = 0``.

    Examples
    --------
    >>> fixed_effects([1.0, 3.0, 10.0, 10.0], ["a", "a", "b", "b"]).tolist()
    [-4.0, 4.0]
    """
    y, labels, codes = _prepare(y, groups)
    _, means = _sizes_and_means(y, codes, labels.size)
    return _series(means - y.mean(), labels, "alpha_hat")


@dataclass(frozen=True)
class AnovaEstimates:
    """The one-way ANOVA table and method-of-moments estimates (Chapter 2).

    ``sigma_a2`` is reported as computed, negative or not; ``negative`` says
    whether it is below zero, and ``sigma_a2_truncated`` is ``max(sigma_a2, 0)``.
    """

    n_groups: int
    n_obs: int
    ss_between: float
    ss_within: float
    df_between: int
    df_within: int
    ms_between: float
    ms_within: float
    n0: float
    sigma2: float
    sigma_a2: float
    negative: bool

    @property
    def sigma_a2_truncated(self) -> float:
        """``max(sigma_a2, 0)``: the estimate moved to the parameter space."""
        return max(self.sigma_a2, 0.0)

    @property
    def icc(self) -> float:
        """Estimated intraclass correlation ``sigma_a2 / (sigma_a2 + sigma2)`` (truncated at 0)."""
        return self.sigma_a2_truncated / (self.sigma_a2_truncated + self.sigma2)


def anova_estimates(y: Any, groups: Any) -> AnovaEstimates:
    """Method-of-moments (ANOVA) estimates of ``sigma_a^2`` and ``sigma^2`` (Chapter 2).

    With ``a`` groups and ``N`` observations, the mean squares have expectations
    ``E[MSE] = sigma^2`` and ``E[MSA] = sigma^2 + n0 sigma_a^2`` where
    ``n0 = (N - sum_i n_i^2 / N) / (a - 1)`` (``n0 = n`` in a balanced design).
    Equating them to their observed values gives ``sigma2 = MSE`` and
    ``sigma_a2 = (MSA - MSE) / n0``.

    Parameters
    ----------
    y : array_like of shape (N,)
        Responses.
    groups : array_like of shape (N,)
        Group label of each response.

    Returns
    -------
    AnovaEstimates
        The ANOVA table and the estimates.  A negative ``sigma_a2`` is returned
        as computed, with ``negative=True`` and a ``UserWarning``; it is not
        silently set to zero.

    Raises
    ------
    ValueError
        On NaN, mismatched lengths, fewer than two groups, or no within-group
        degrees of freedom (every group a single observation).

    Examples
    --------
    >>> est = anova_estimates([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], [0, 0, 0, 1, 1, 1])
    >>> est.sigma2, est.sigma_a2
    (1.0, 17.666666666666668)
    """
    y, labels, codes = _prepare(y, groups)
    a, N = labels.size, y.size
    if N - a < 1:
        raise ValueError(
            "no within-group degrees of freedom: every group has a single observation, "
            "so sigma^2 cannot be estimated"
        )
    n_i, means = _sizes_and_means(y, codes, a)
    ss_between = float(np.sum(n_i * (means - y.mean()) ** 2))
    ss_within = float(np.sum((y - means[codes]) ** 2))
    ms_between = ss_between / (a - 1)
    ms_within = ss_within / (N - a)
    n0 = float((N - np.sum(n_i**2) / N) / (a - 1))
    sigma_a2 = (ms_between - ms_within) / n0
    if sigma_a2 < 0:
        warnings.warn(
            f"the ANOVA estimate of sigma_a^2 is negative ({sigma_a2:.4g}): MSA < MSE; "
            "it is reported as computed (see Chapter 2)",
            UserWarning,
            stacklevel=2,
        )
    return AnovaEstimates(
        n_groups=a, n_obs=N, ss_between=ss_between, ss_within=ss_within,
        df_between=a - 1, df_within=N - a, ms_between=ms_between, ms_within=ms_within,
        n0=n0, sigma2=ms_within, sigma_a2=sigma_a2, negative=bool(sigma_a2 < 0),
    )


def shrinkage_factor(sigma_a2: float, sigma2: float, n: Any) -> np.ndarray | float:
    """The shrinkage factor ``sigma_a^2 / (sigma_a^2 + sigma^2 / n_i)``, Chapter 1, eq. (1.4).

    Parameters
    ----------
    sigma_a2 : float
        Between-group variance ``sigma_a^2 >= 0``.
    sigma2 : float
        Error variance ``sigma^2 > 0``.
    n : int or array_like of int
        Group size(s) ``n_i >= 1``.

    Returns
    -------
    float or ndarray
        The factor, in ``[0, 1)``; a float when ``n`` is a scalar.

    Raises
    ------
    ValueError
        If a variance is negative or not finite, ``sigma2`` is zero, or a group
        size is below 1.

    Examples
    --------
    >>> float(shrinkage_factor(1.0, 4.0, 4))
    0.5
    """
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    n_arr = np.asarray(n, dtype=float)
    if not np.isfinite(n_arr).all() or (n_arr < 1).any():
        raise ValueError("n (group size) must be finite and at least 1")
    k = sigma_a2 / (sigma_a2 + sigma2 / n_arr)
    return float(k) if n_arr.ndim == 0 else k


def gls_mean(y: Any, groups: Any, sigma_a2: float, sigma2: float) -> float:
    """Generalized-least-squares estimate of ``mu``, Chapter 1, eq. (1.5).

    ``mu_gls = sum_i w_i ybar_i. / sum_i w_i`` with weights
    ``w_i = 1 / var(ybar_i.) = 1 / (sigma_a^2 + sigma^2 / n_i)``.  In a balanced
    design the weights are equal and ``mu_gls = ybar..``; with unequal ``n_i``
    it is not the raw grand mean.
    """
    y, labels, codes = _prepare(y, groups)
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    n_i, means = _sizes_and_means(y, codes, labels.size)
    return _gls_centre(n_i, means, sigma_a2, sigma2)


def _gls_centre(n_i: np.ndarray, means: np.ndarray, sigma_a2: float, sigma2: float) -> float:
    w = 1.0 / (sigma_a2 + sigma2 / n_i)
    return float(np.sum(w * means) / np.sum(w))


def blup(y: Any, groups: Any, sigma_a2: float, sigma2: float) -> pd.Series:
    """BLUP of the group effects ``alpha_i``, Chapter 1, eq. (1.6).

    ``alpha_tilde_i = k_i (ybar_i. - mu_gls)`` with the shrinkage factor
    ``k_i = sigma_a^2 / (sigma_a^2 + sigma^2 / n_i)`` (:func:`shrinkage_factor`)
    and ``mu_gls`` the generalized-least-squares estimate of ``mu``
    (:func:`gls_mean`).  In a balanced design ``mu_gls = ybar..`` and the BLUP is
    the shrinkage factor times the fixed-effect estimate ``ybar_i. - ybar..``;
    for unequal ``n_i`` the centre is ``mu_gls``, not the raw grand mean.
    This equals ``gamma_hat`` from :func:`lmmtext.mixed.gls_blup` for the
    one-way model written in matrix form.

    Parameters
    ----------
    y, groups : array_like of shape (N,)
        Responses and their group labels.
    sigma_a2, sigma2 : float
        The variance components (treated as known).

    Returns
    -------
    pandas.Series
        Predicted ``alpha_i``, indexed by sorted group label.

    Examples
    --------
    >>> blup([1.0, 3.0, 9.0, 11.0], [0, 0, 1, 1], sigma_a2=1.0, sigma2=2.0).tolist()
    [-2.0, 2.0]
    """
    y, labels, codes = _prepare(y, groups)
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    n_i, means = _sizes_and_means(y, codes, labels.size)
    mu = _gls_centre(n_i, means, sigma_a2, sigma2)
    k = sigma_a2 / (sigma_a2 + sigma2 / n_i)
    return _series(k * (means - mu), labels, "alpha_blup")


# --- Chapter 2: the random-effects model -----------------------------------

__all__ += [
    "ExpectedMeanSquares",
    "compound_symmetry_cov",
    "expected_mean_squares",
    "intraclass_correlation",
    "prob_negative_estimate",
]


def _group_size_vector(n_i: Any, name: str = "n_i") -> np.ndarray:
    sizes = np.atleast_1d(np.asarray(n_i))
    if sizes.ndim != 1 or sizes.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a one-dimensional sequence of integers")
    if sizes.size < 2:
        raise ValueError(f"{name} must describe at least two groups, got {sizes.size}")
    if (sizes < 1).any():
        raise ValueError(f"every group needs at least one observation; {name} has a size below 1")
    return sizes.astype(float)


def _count(x: Any, name: str, minimum: int) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {x}")
    return int(x)


def compound_symmetry_cov(n: int, sigma_a2: float, sigma2: float) -> np.ndarray:
    """Covariance of one group's ``n`` observations, ``sigma^2 I + sigma_a^2 J``, Chapter 2, eq. (2.2).

    Every diagonal element is ``sigma_a^2 + sigma^2`` and every off-diagonal
    element is ``sigma_a^2`` (compound symmetry); ``J`` is the ``n x n``
    matrix of ones.

    Parameters
    ----------
    n : int
        Group size, at least 1.
    sigma_a2, sigma2 : float
        Between-group and error variances, non-negative.

    Returns
    -------
    ndarray of shape (n, n)

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n < 1`` or a variance is negative or not finite.

    Examples
    --------
    >>> compound_symmetry_cov(2, 1.0, 3.0).tolist()
    [[4.0, 1.0], [1.0, 4.0]]
    """
    n = _count(n, "n", 1)
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2")
    return sigma2 * np.eye(n) + sigma_a2 * np.ones((n, n))


def intraclass_correlation(sigma_a2: float, sigma2: float) -> float:
    """The intraclass correlation ``sigma_a^2 / (sigma_a^2 + sigma^2)``, Chapter 2, eq. (2.3).

    The correlation between two observations of the same group.

    Raises
    ------
    ValueError
        If a variance is negative or not finite, or both are zero.

    Examples
    --------
    >>> intraclass_correlation(16.0, 64.0)
    0.2
    """
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2")
    if sigma_a2 + sigma2 == 0:
        raise ValueError("sigma_a2 + sigma2 must be positive (the total variance is zero)")
    return sigma_a2 / (sigma_a2 + sigma2)


@dataclass(frozen=True)
class ExpectedMeanSquares:
    """``E[MSA]``, ``E[MSE]`` and ``n0`` of the one-way ANOVA table (Chapter 2)."""

    ms_between: float
    ms_within: float
    n0: float


def expected_mean_squares(sigma_a2: float, sigma2: float, n_i: Any) -> ExpectedMeanSquares:
    """Expected mean squares of the one-way random-effects model, Chapter 2, eq. (2.6).

    ``E[MSE] = sigma^2`` and ``E[MSA] = sigma^2 + n0 sigma_a^2`` with
    ``n0 = (N - sum_i n_i^2 / N) / (a - 1)``; ``n0 = n`` when every ``n_i = n``.

    Parameters
    ----------
    sigma_a2, sigma2 : float
        The variance components, non-negative.
    n_i : sequence of int
        The group sizes ``n_1, ..., n_a`` (at least two groups, each of size at
        least 1, and ``N > a`` so that ``MSE`` exists).

    Returns
    -------
    ExpectedMeanSquares
        Fields ``ms_between`` (``E[MSA]``), ``ms_within`` (``E[MSE]``), ``n0``.

    Raises
    ------
    TypeError
        If ``n_i`` is not a sequence of integers.
    ValueError
        If there are fewer than two groups, a size is below 1, every group has
        one observation, or a variance is negative.

    Examples
    --------
    >>> ems = expected_mean_squares(2.0, 1.0, [4, 4, 4])
    >>> ems.ms_between, ems.ms_within, ems.n0
    (9.0, 1.0, 4.0)
    """
    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2")
    sizes = _group_size_vector(n_i)
    a, N = sizes.size, sizes.sum()
    if N - a < 1:
        raise ValueError("no within-group degrees of freedom: every group has a single observation")
    n0 = float((N - np.sum(sizes**2) / N) / (a - 1))
    return ExpectedMeanSquares(ms_between=sigma2 + n0 * sigma_a2, ms_within=sigma2, n0=n0)


def prob_negative_estimate(sigma_a2: float, sigma2: float, n: int, a: int) -> float:
    """Probability that the ANOVA estimate of ``sigma_a^2`` is negative, Chapter 2, eq. (2.9).

    In a balanced design with ``a`` groups of ``n``, ``sigma_a2_hat < 0`` exactly
    when ``MSA < MSE``, and ``MSA / MSE = (1 + n sigma_a^2 / sigma^2) F`` with
    ``F ~ F(a - 1, a(n - 1))``, so
    ``P(sigma_a2_hat < 0) = P(F < 1 / (1 + n sigma_a^2 / sigma^2))``.

    Parameters
    ----------
    sigma_a2 : float
        Between-group variance, non-negative.
    sigma2 : float
        Error variance, positive.
    n : int
        Common group size, at least 2.
    a : int
        Number of groups, at least 2.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``n`` or ``a`` is not an integer.
    ValueError
        If ``n < 2``, ``a < 2`` or a variance is out of range.

    Examples
    --------
    >>> round(prob_negative_estimate(0.0, 1.0, 5, 6), 3)
    0.561
    """
    from scipy import stats

    sigma_a2 = as_variance(sigma_a2, "sigma_a2")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    n = _count(n, "n", 2)
    a = _count(a, "a", 2)
    return float(stats.f.cdf(1.0 / (1.0 + n * sigma_a2 / sigma2), a - 1, a * (n - 1)))


# -- exact and approximate inference for the variance components (Chapter 11) -------------------
@dataclass(frozen=True)
class FTest:
    """The F test of ``sigma_a^2 = 0``: ``MSA / MSE``, its degrees of freedom and p-value."""

    statistic: float
    df_between: int
    df_within: int
    p_value: float


def _check_level(level: Any) -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.floating)):
        raise TypeError(f"level must be a number in (0, 1), got {type(level).__name__}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return float(level)


def _anova_quiet(y: Any, groups: Any) -> AnovaEstimates:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the ANOVA estimate of sigma_a\\^2 is negative")
        return anova_estimates(y, groups)


def _balanced(y: Any, groups: Any) -> tuple[AnovaEstimates, int]:
    """The ANOVA table of a balanced design and its common group size ``n``."""
    est = _anova_quiet(y, groups)
    sizes = group_sizes(y, groups).to_numpy()
    if np.any(sizes != sizes[0]):
        raise ValueError(
            "this interval is exact only in a balanced design (equal group sizes); got sizes "
            f"from {sizes.min()} to {sizes.max()}"
        )
    return est, int(sizes[0])


def f_test_between(y: Any, groups: Any) -> FTest:
    """The exact F test of ``H0: sigma_a^2 = 0``, Chapter 11, eq. ``ch11-oneway-f``.

    Under ``H0`` every observation is ``N(mu, sigma^2)`` and independent, so
    ``SSA / sigma^2 ~ chi2(a - 1)`` and ``SSE / sigma^2 ~ chi2(N - a)`` are
    independent and ``F = MSA / MSE ~ F(a - 1, N - a)`` *in any design*,
    balanced or not (Searle, Casella & McCulloch 1992, ch. 3 for balanced data,
    ch. 4 for unbalanced data).  Only the power depends on the balance.

    Returns
    -------
    FTest
        ``statistic = MSA / MSE`` and ``p_value = P(F(a - 1, N - a) >= statistic)``.

    Raises
    ------
    ValueError
        As :func:`anova_estimates`.

    Examples
    --------
    >>> t = f_test_between([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], [0, 0, 0, 1, 1, 1])
    >>> t.statistic, t.df_between, t.df_within, round(t.p_value, 5)
    (54.0, 1, 4, 0.00183)
    """
    from scipy import stats

    est = _anova_quiet(y, groups)
    F = est.ms_between / est.ms_within
    return FTest(statistic=F, df_between=est.df_between, df_within=est.df_within,
                 p_value=float(stats.f.sf(F, est.df_between, est.df_within)))


def sigma2_interval(y: Any, groups: Any, level: float = 0.95) -> tuple[float, float]:
    """Exact interval for ``sigma^2``: ``(SSE / chi2_{1-alpha/2}, SSE / chi2_{alpha/2})`` on ``N - a`` df.

    Chapter 11, eq. ``ch11-oneway-sigma2``.  ``SSE / sigma^2 ~ chi2(N - a)`` whatever
    ``sigma_a^2`` and the group sizes (Searle, Casella & McCulloch 1992, ch. 3;
    Burdick & Graybill 1992, sec. 2.2).

    Examples
    --------
    >>> lo, hi = sigma2_interval([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], [0, 0, 0, 1, 1, 1])
    >>> round(lo, 4), round(hi, 4)
    (0.359, 8.2573)
    """
    from scipy import stats

    level = _check_level(level)
    est = _anova_quiet(y, groups)
    alpha = 1.0 - level
    df = est.df_within
    return (float(est.ss_within / stats.chi2.ppf(1 - alpha / 2, df)),
            float(est.ss_within / stats.chi2.ppf(alpha / 2, df)))


def variance_ratio_interval(y: Any, groups: Any, level: float = 0.95) -> tuple[float, float]:
    """Exact interval for ``tau = sigma_a^2 / sigma^2`` in a balanced design, eq. ``ch11-oneway-ratio``.

    With ``a`` groups of ``n``, ``F* = MSA / MSE`` and ``F* / (1 + n tau) ~ F(a - 1, a(n - 1))``,
    so ``((F*/F_U - 1)/n, (F*/F_L - 1)/n)`` with ``F_L``, ``F_U`` the ``alpha/2`` and
    ``1 - alpha/2`` quantiles covers ``tau`` with probability ``level`` (Searle, Casella &
    McCulloch 1992, ch. 3; Burdick & Graybill 1992, sec. 3.2).  Ends below 0 are
    reported as 0 (the parameter space), which does not change the coverage.

    Raises
    ------
    ValueError
        If the design is unbalanced, or as :func:`anova_estimates`.

    Examples
    --------
    >>> lo, hi = variance_ratio_interval([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], [0, 0, 0, 1, 1, 1])
    >>> round(lo, 4), round(hi, 4)
    (1.1399, 16192.1662)
    """
    from scipy import stats

    level = _check_level(level)
    est, n = _balanced(y, groups)
    alpha = 1.0 - level
    F = est.ms_between / est.ms_within
    f_lo, f_hi = stats.f.ppf([alpha / 2, 1 - alpha / 2], est.df_between, est.df_within)
    return max(float((F / f_hi - 1.0) / n), 0.0), max(float((F / f_lo - 1.0) / n), 0.0)


def icc_interval(y: Any, groups: Any, level: float = 0.95) -> tuple[float, float]:
    """Exact interval for the intraclass correlation ``rho = tau / (1 + tau)`` (balanced), eq. ``ch11-oneway-icc``.

    ``rho`` increases with ``tau = sigma_a^2 / sigma^2``, so the ends of
    :func:`variance_ratio_interval` mapped by ``t / (1 + t)`` (Searle, Casella &
    McCulloch 1992, ch. 3; Burdick & Graybill 1992, sec. 3.2).

    Raises
    ------
    ValueError
        If the design is unbalanced, or as :func:`anova_estimates`.
    """
    lo, hi = variance_ratio_interval(y, groups, level)
    return lo / (1.0 + lo), hi / (1.0 + hi)


def between_variance_interval_mls(y: Any, groups: Any, level: float = 0.95) -> tuple[float, float]:
    """Approximate interval for ``sigma_a^2`` (balanced): the modified large-sample method, eq. ``ch11-oneway-mls``.

    ``sigma_a^2 = (E[S1^2] - E[S2^2]) / n`` with ``S1^2 = MSA`` on ``n1 = a - 1`` df and
    ``S2^2 = MSE`` on ``n2 = a(n - 1)`` df.  With ``alpha = (1 - level) / 2``,
    ``G_i = 1 - n_i / chi2_{1-alpha}(n_i)``, ``H_i = n_i / chi2_alpha(n_i) - 1``,
    ``F_U = F_{1-alpha}(n1, n2)``, ``F_L = F_alpha(n1, n2)``,
    ``G12 = ((F_U - 1)^2 - G1^2 F_U^2 - H2^2) / F_U`` and
    ``H12 = ((1 - F_L)^2 - H1^2 F_L^2 - G2^2) / F_L``, the interval is

    ``L = (S1^2 - S2^2 - sqrt(G1^2 S1^4 + H2^2 S2^4 + G12 S1^2 S2^2)) / n``,
    ``U = (S1^2 - S2^2 + sqrt(H1^2 S1^4 + G2^2 S2^4 + H12 S1^2 S2^2)) / n``

    (Ting, Burdick, Graybill, Jeyaratnam & Lu 1990; Burdick & Graybill 1992, sec. 3.3,
    after Graybill & Wang 1980).  When ``MSE = 0`` it reduces to the exact interval
    ``(SSA / (n chi2_{1-alpha}), SSA / (n chi2_alpha))``.  Ends below 0 are reported as 0.

    Raises
    ------
    ValueError
        If the design is unbalanced, or as :func:`anova_estimates`.
    """
    from scipy import stats

    level = _check_level(level)
    est, n = _balanced(y, groups)
    alpha = (1.0 - level) / 2
    n1, n2 = est.df_between, est.df_within
    S1, S2 = est.ms_between, est.ms_within
    G1, G2 = (1 - df / stats.chi2.ppf(1 - alpha, df) for df in (n1, n2))
    H1, H2 = (df / stats.chi2.ppf(alpha, df) - 1 for df in (n1, n2))
    F_U = stats.f.ppf(1 - alpha, n1, n2)
    F_L = stats.f.ppf(alpha, n1, n2)
    G12 = ((F_U - 1) ** 2 - G1**2 * F_U**2 - H2**2) / F_U
    H12 = ((1 - F_L) ** 2 - H1**2 * F_L**2 - G2**2) / F_L
    lower = (S1 - S2 - np.sqrt(G1**2 * S1**2 + H2**2 * S2**2 + G12 * S1 * S2)) / n
    upper = (S1 - S2 + np.sqrt(H1**2 * S1**2 + G2**2 * S2**2 + H12 * S1 * S2)) / n
    return max(float(lower), 0.0), max(float(upper), 0.0)
