"""Maximum-likelihood and REML estimation of variance components (Chapter 4, "ML and REML").

The variance-component model

.. math::

    y = X\\beta + \\sum_{l=1}^{L} Z_l \\gamma_l + e, \\qquad
    \\gamma_l \\sim N(0, \\sigma_l^2 I_{q_l}), \\quad e \\sim N(0, \\sigma^2 I_n),

so that ``V = sum_l sigma_l^2 Z_l Z_l' + sigma^2 I``.  Writing
``sigma_l = theta_l sigma`` turns it into the relative-covariance form of
:mod:`lmmtext.pls` (``Lambda_theta`` block diagonal with ``theta_l I_{q_l}``), so
:func:`fit_varcomp` maximises exactly the profiled log-likelihood that
:func:`lmmtext.lmm.lmm` maximises: one core, two front ends.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse

from ._validate import as_matrix, as_vector, check_finite, check_full_column_rank
from .pls import PLS, OptSummary, optimize_theta
from .remat import ReMat

__all__ = ["VarCompResult", "fit_varcomp", "check_method"]


@dataclass(frozen=True)
class VarCompResult:
    """The fitted variance-component model.

    Attributes
    ----------
    sigma2_components : ndarray of shape (L,)
        ``sigma_l^2``, one per block of ``Z_blocks``; exactly 0 on the boundary.
    sigma2 : float
        The residual variance ``sigma^2``.
    beta_hat : ndarray of shape (p,)
        The GLS estimate of ``beta`` at the estimated variances.
    beta_cov : ndarray of shape (p, p)
        ``(X' V^{-1} X)^{-1}`` at the estimated variances.
    blups : list of ndarray
        ``E[gamma_l | y]`` at the estimates (the BLUPs), one array of length ``q_l`` per block.
    loglik : float
        The maximised log-likelihood (ML) or restricted log-likelihood (REML).
    method : {"REML", "ML"}
    at_boundary : ndarray of bool, shape (L,)
        Which ``sigma_l^2`` are exactly 0.
    theta : ndarray of shape (L,)
        ``sigma_l / sigma``, the parameters actually optimised.
    converged : bool
    n_obs : int
    optsummary : lmmtext.pls.OptSummary
        Start, bounds, number of evaluations and final criterion of the optimiser.
    """

    sigma2_components: np.ndarray
    sigma2: float
    beta_hat: np.ndarray
    beta_cov: np.ndarray
    blups: list[np.ndarray]
    loglik: float
    method: str
    at_boundary: np.ndarray
    theta: np.ndarray
    converged: bool
    n_obs: int
    optsummary: OptSummary


def check_method(method: Any) -> str:
    """Return ``"REML"`` or ``"ML"`` (case-insensitive), or raise."""
    if not isinstance(method, str):
        raise TypeError(f"method must be 'REML' or 'ML', got {type(method).__name__}")
    if method.upper() not in ("REML", "ML"):
        raise ValueError(f"method must be 'REML' or 'ML', got {method!r}")
    return method.upper()


def _as_block(Z: Any, n: int, name: str) -> scipy.sparse.csr_array:
    if scipy.sparse.issparse(Z):
        Z = scipy.sparse.csr_array(Z, dtype=float)
        if Z.ndim != 2:
            raise ValueError(f"{name} must be a two-dimensional matrix, got shape {Z.shape}")
        check_finite(Z.data, name)
    else:
        Z = scipy.sparse.csr_array(as_matrix(Z, name))
    if Z.shape[0] != n:
        raise ValueError(f"{name} has {Z.shape[0]} rows but y has {n} observations")
    if Z.shape[1] == 0:
        raise ValueError(f"{name} has no columns")
    return Z


def fit_varcomp(y: Any, X: Any, Z_blocks: Sequence[Any], method: str = "REML") -> VarCompResult:
    """Fit ``V = sum_l sigma_l^2 Z_l Z_l' + sigma^2 I`` by REML or ML (Chapter 4).

    Chapter 4 derives the criteria (eqs. ``ch04-profile`` and ``ch04-reml``).

    The log-likelihood is profiled over ``beta`` and ``sigma^2`` and maximised over
    ``theta_l = sigma_l / sigma >= 0`` by the same code as :func:`lmmtext.lmm.lmm`
    (Bates et al. 2015, eqs. 34 and 41):

    .. math::

        -2\\ell_{ML} = \\log|L_\\theta|^2 + n\\,[1 + \\log(2\\pi r^2_\\theta/n)], \\qquad
        -2\\ell_{R} = \\log|L_\\theta|^2 + \\log|R_X|^2 + (n-p)\\,[1 + \\log(2\\pi r^2_\\theta/(n-p))].

    Then ``sigma^2 = r^2 / n`` (ML) or ``r^2 / (n - p)`` (REML), and
    ``sigma_l^2 = theta_l^2 sigma^2``.  A variance may be exactly 0 (the boundary
    of the parameter space); ``at_boundary`` reports it.

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    Z_blocks : sequence of array_like or scipy.sparse matrices, each of shape (n, q_l)
        One design matrix per variance component (at least one).
    method : {"REML", "ML"}, default "REML"

    Returns
    -------
    VarCompResult
        ``sigma2_components``, ``sigma2``, ``beta_hat``, ``beta_cov``, ``blups``,
        ``loglik``, ``method``, ``at_boundary``, ``theta``, ``converged``,
        ``n_obs``, ``optsummary``.

    Raises
    ------
    ValueError
        On NaN/infinite values, mismatched shapes, an empty ``Z_blocks``, a
        rank-deficient ``X``, or an unknown ``method``.
    TypeError
        On non-numeric input or a ``method`` that is not a string.

    References
    ----------
    Bates, D., Maechler, M., Bolker, B. and Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. *Journal of Statistical Software* 67(1), 1-48.

    Examples
    --------
    A one-way layout: 3 groups of 2.

    >>> import numpy as np
    >>> y = np.array([1.0, 3.0, 9.0, 11.0, 4.0, 7.0])
    >>> Z = np.kron(np.eye(3), np.ones((2, 1)))
    >>> fit = fit_varcomp(y, np.ones((6, 1)), [Z], method="REML")
    >>> round(fit.sigma2, 4), fit.sigma2_components.round(4).tolist(), fit.at_boundary.tolist()
    (2.8333, [14.6667], [False])
    """
    method = check_method(method)
    y = as_vector(y, "y")
    n = y.size
    X = as_matrix(X, "X")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    check_full_column_rank(X, "X")
    if isinstance(Z_blocks, (np.ndarray, str)) or scipy.sparse.issparse(Z_blocks) \
            or not isinstance(Z_blocks, Sequence):
        raise TypeError("Z_blocks must be a list of design matrices, one per variance component")
    if len(Z_blocks) == 0:
        raise ValueError("Z_blocks is empty: give at least one design matrix")
    terms = [
        ReMat.from_matrix(_as_block(Z, n, f"Z_blocks[{l}]"), f"Z{l}") for l, Z in enumerate(Z_blocks)
    ]
    system = PLS(X, y, terms)
    opt = optimize_theta(system, reml=method == "REML")
    sol = system.solve(opt.theta_final, reml=method == "REML")
    theta = opt.theta_final
    return VarCompResult(
        sigma2_components=sol.sigma2 * theta**2,
        sigma2=sol.sigma2,
        beta_hat=sol.beta,
        beta_cov=sol.sigma2 * sol.beta_cov_unscaled,
        blups=sol.b,
        loglik=-0.5 * sol.objective,
        method=method,
        at_boundary=theta == 0,
        theta=theta,
        converged=opt.converged,
        n_obs=n,
        optsummary=opt,
    )
