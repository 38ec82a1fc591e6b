"""Shrinkage estimators of many normal means (Chapter 6).

Defined in Chapter 6, "Shrinkage": the James-Stein estimator (and its
positive-part version), the empirical-Bayes posterior mean of the
normal-normal model, and the arcsine transform that Efron and Morris (1975)
used to give batting averages a common variance.

All functions take ``k`` estimates ``x_i ~ N(theta_i, sigma^2)``,
independent, with a common, known sampling variance ``sigma^2``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_variance, as_vector

__all__ = [
    "EmpiricalBayes",
    "arcsine_transform",
    "empirical_bayes",
    "inverse_arcsine_transform",
    "james_stein",
    "james_stein_factor",
]


def _setup(x: Any, sigma2: Any, centre: Any) -> tuple[np.ndarray, float, float, int]:
    """Validate; return x, sigma2, the centre and the degrees of freedom lost to it."""
    x = as_vector(x, "x")
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    if x.size < 3:
        raise ValueError(f"x must hold at least three means to shrink, got {x.size}")
    if centre is None:
        return x, sigma2, float(x.mean()), 3
    centre = as_vector([centre], "centre")[0]
    return x, sigma2, float(centre), 2


def james_stein_factor(x: Any, sigma2: float, centre: float | None = None, *,
                       positive_part: bool = False) -> float:
    """The James-Stein factor ``c = 1 - (k - q) sigma^2 / S``, Chapter 6, eq. (6.9).

    ``S = sum_i (x_i - m)^2`` is the spread about the centre ``m``.  With a
    given centre ``q = 2``; with ``centre=None`` the centre is the mean of
    ``x`` and ``q = 3`` (one degree of freedom is spent on estimating it).
    The positive-part factor is ``max(c, 0)``.

    Parameters
    ----------
    x : array_like of shape (k,)
        The ``k >= 3`` estimates, each with sampling variance ``sigma2``.
    sigma2 : float
        Their common sampling variance, positive.
    centre : float, optional
        The point to shrink toward; by default the mean of ``x``.
    positive_part : bool, default False
        Truncate the factor at 0.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x`` has fewer than three values or NaNs, ``sigma2 <= 0``, or every
        ``x_i`` equals the centre (``S = 0``).

    Examples
    --------
    >>> james_stein_factor([1.0, -1.0, 2.0, -2.0], 1.0, centre=0.0)
    0.8
    """
    x, sigma2, m, q = _setup(x, sigma2, centre)
    spread = float(np.sum((x - m) ** 2))
    if spread == 0:
        raise ValueError("every x_i equals the centre: the spread S is 0 and the factor undefined")
    c = 1.0 - (x.size - q) * sigma2 / spread
    return max(c, 0.0) if positive_part else c


def james_stein(x: Any, sigma2: float, centre: float | None = None, *,
                positive_part: bool = False) -> np.ndarray:
    """The James-Stein estimates ``m + c (x_i - m)``, Chapter 6, eq. (6.9).

    For ``k >= 3`` means and a given centre (``k >= 4`` when the centre is the
    mean of ``x``) their total squared error ``sum_i (estimate_i - theta_i)^2``
    has smaller expectation than that of ``x`` itself, whatever the
    ``theta_i``.  The positive-part version (``positive_part=True``) never
    shrinks past the centre and is better still.

    Parameters
    ----------
    x, sigma2, centre, positive_part
        As in :func:`james_stein_factor`.

    Returns
    -------
    ndarray of shape (k,)

    Raises
    ------
    ValueError
        As :func:`james_stein_factor`.

    Examples
    --------
    >>> james_stein([1.0, -1.0, 2.0, -2.0], 1.0, centre=0.0).tolist()
    [0.8, -0.8, 1.6, -1.6]
    """
    x, _, m, _ = _setup(x, sigma2, centre)
    c = james_stein_factor(x, sigma2, centre, positive_part=positive_part)
    return m + c * (x - m)


@dataclass(frozen=True)
class EmpiricalBayes:
    """Result of :func:`empirical_bayes` (Chapter 6)."""

    estimate: np.ndarray
    centre: float
    tau2: float
    factor: float


def empirical_bayes(x: Any, sigma2: float, centre: float | None = None,
                    tau2: float | None = None) -> EmpiricalBayes:
    """Posterior means of the normal-normal model, prior estimated from ``x``, Chapter 6, eq. (6.8).

    With ``x_i | theta_i ~ N(theta_i, sigma^2)`` and ``theta_i ~ N(m, tau^2)``
    the posterior mean is ``m + B (x_i - m)`` with
    ``B = tau^2 / (tau^2 + sigma^2)``.  Unknown ``m`` and ``tau^2`` are
    replaced by method-of-moments estimates: ``m`` by the mean of ``x`` and
    ``tau^2`` by ``max(S / (k - 1) - sigma^2, 0)`` with
    ``S = sum_i (x_i - xbar)^2`` (with a given centre ``m``:
    ``max(sum_i (x_i - m)^2 / k - sigma^2, 0)``).  For a balanced one-way
    model with ``x_i = ybar_i.`` and ``sigma^2 = MSE / n`` this is the BLUP
    with the ANOVA estimates of the variance components.

    Parameters
    ----------
    x : array_like of shape (k,)
        The ``k >= 3`` estimates.
    sigma2 : float
        Their common sampling variance, positive.
    centre : float, optional
        The prior mean ``m``, if known.
    tau2 : float, optional
        The prior variance ``tau^2``, if known.

    Returns
    -------
    EmpiricalBayes
        ``estimate`` (the posterior means), ``centre``, ``tau2`` and
        ``factor`` ``B``.

    Raises
    ------
    ValueError
        If ``x`` has fewer than three values or NaNs, ``sigma2 <= 0`` or
        ``tau2 < 0``.

    Examples
    --------
    >>> eb = empirical_bayes([1.0, -1.0, 3.0, -3.0], 1.0, centre=0.0)
    >>> eb.tau2, eb.factor, eb.estimate.round(6).tolist()
    (4.0, 0.8, [0.8, -0.8, 2.4, -2.4])
    """
    x, sigma2, m, q = _setup(x, sigma2, centre)
    if tau2 is None:
        dof = x.size - (1 if centre is None else 0)
        tau2 = max(float(np.sum((x - m) ** 2)) / dof - sigma2, 0.0)
    else:
        tau2 = as_variance(tau2, "tau2")
    factor = tau2 / (tau2 + sigma2)
    return EmpiricalBayes(estimate=m + factor * (x - m), centre=m, tau2=tau2, factor=factor)


def arcsine_transform(p: Any, n: int) -> np.ndarray:
    """The variance-stabilising transform ``sqrt(n) arcsin(2p - 1)``, Chapter 6, eq. (6.11).

    For a proportion ``p`` of ``n`` binomial trials its variance is close to 1
    whatever the success probability (Efron and Morris 1975).

    Parameters
    ----------
    p : array_like
        Proportions in ``[0, 1]``.
    n : int
        Number of trials, positive.

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        If a proportion is outside ``[0, 1]`` or ``n < 1``.

    Examples
    --------
    >>> arcsine_transform([0.5], 45).tolist()
    [0.0]
    """
    p = np.atleast_1d(as_vector(p, "p"))
    if ((p < 0) | (p > 1)).any():
        raise ValueError("p holds a proportion outside [0, 1]")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of trials) must be a positive integer, got {n!r}")
    return np.sqrt(n) * np.arcsin(2 * p - 1)


def inverse_arcsine_transform(x: Any, n: int) -> np.ndarray:
    """Back from :func:`arcsine_transform`: ``(1 + sin(x / sqrt(n))) / 2``, Chapter 6.

    Raises
    ------
    ValueError
        If ``|x| > sqrt(n) pi / 2`` (outside the transform's range) or ``n < 1``.

    Examples
    --------
    >>> inverse_arcsine_transform(arcsine_transform([0.25], 45), 45).round(12).tolist()
    [0.25]
    """
    x = np.atleast_1d(as_vector(x, "x"))
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of trials) must be a positive integer, got {n!r}")
    if (np.abs(x) > np.sqrt(n) * np.pi / 2 + 1e-12).any():
        raise ValueError("x lies outside the range of the arcsine transform")
    return (1 + np.sin(x / np.sqrt(n))) / 2
