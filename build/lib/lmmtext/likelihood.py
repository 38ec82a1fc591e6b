"""The Gaussian log-likelihood, ML and REML, from first principles (Chapter 4).

Defined in Chapter 4, "Estimating variance components: ML and REML".  For
``Y ~ N(X beta, V(theta))`` with ``X`` of full column rank ``p``:

- :func:`loglik_ml` -- the log-likelihood ``l(beta, theta)``, eq. (4.1), or its
  profile over ``beta``, eq. (4.3), with ``beta`` replaced by the GLS estimate
  :func:`gls_beta`, eq. (4.2);
- :func:`error_contrasts` -- an orthonormal ``K`` with ``K'X = 0``;
- :func:`loglik_contrasts` -- the log-density of ``K'Y ~ N(0, K'VK)``, eq. (4.5);
- :func:`loglik_reml` -- the restricted log-likelihood, eq. (4.6);
- :func:`varcomp_cov` -- ``V = sum_l sigma_l^2 Z_l Z_l' + sigma^2 I``, eq. (4.11)
  (defined in :mod:`lmmtext.mixed`, re-exported here);
- :func:`profiled_loglik` -- ML or REML with ``beta`` and ``sigma^2`` profiled
  out, as a function of ``theta_l = sigma_l / sigma`` alone, eq. (4.12).

Everything is dense and direct: one Cholesky factor of ``V``, one of
``X'V^{-1}X``, no inverse.  These functions are for checking and teaching;
:func:`lmmtext.varcomp.fit_varcomp` fits the same criteria at scale.

Constants.  :func:`loglik_reml` follows lme4 (Bates et al. 2015, eq. 41) and
:func:`lmmtext.varcomp.fit_varcomp`: ``-1/2 [(n-p) log 2 pi + log|V| +
log|X'V^{-1}X| + r'V^{-1}r]``, without a ``log|X'X|`` term.  The log-density of
``K'Y`` for an orthonormal ``K`` is that plus ``1/2 log|X'X|`` (Harville 1974),
``convention="contrast"``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.linalg

from .mixed import varcomp_cov
from ._validate import (
    as_matrix,
    as_variance,
    as_vector,
    check_full_column_rank,
    cholesky,
)

__all__ = [
    "error_contrasts",
    "gls_beta",
    "loglik_contrasts",
    "loglik_ml",
    "loglik_reml",
    "profiled_loglik",
    "varcomp_cov",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


# -- validation ----------------------------------------------------------------------
def _check_yXV(y: Any, X: Any, V: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = as_vector(y, "y")
    n = y.size
    X = as_matrix(X, "X")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    check_full_column_rank(X, "X")
    V = _check_V(V, n)
    return y, X, V


def _check_V(V: Any, n: int) -> np.ndarray:
    V = as_matrix(V, "V")
    if V.shape != (n, n):
        raise ValueError(f"V must be {n} x {n} to match the {n} observations, got shape {V.shape}")
    return V


def _check_Z_blocks(Z_blocks: Any, n: int | None) -> list[np.ndarray]:
    """Validate the blocks; ``n=None``: they only have to agree with each other."""
    if isinstance(Z_blocks, (np.ndarray, str)) or not isinstance(Z_blocks, Sequence):
        raise TypeError("Z_blocks must be a list of design matrices, one per variance component")
    if len(Z_blocks) == 0:
        raise ValueError("Z_blocks is empty: give at least one design matrix")
    blocks = [as_matrix(Z, f"Z_blocks[{l}]") for l, Z in enumerate(Z_blocks)]
    for l, Z in enumerate(blocks):
        if n is None and Z.shape[0] != blocks[0].shape[0]:
            raise ValueError(
                f"Z_blocks[{l}] has {Z.shape[0]} rows but Z_blocks[0] has {blocks[0].shape[0]}"
            )
        if n is not None and Z.shape[0] != n:
            raise ValueError(f"Z_blocks[{l}] has {Z.shape[0]} rows but y has {n} observations")
    return blocks


def _check_nonneg_vector(x: Any, name: str, size: int) -> np.ndarray:
    x = as_vector(x, name)
    if x.size != size:
        raise ValueError(f"{name} has {x.size} entries but Z_blocks has {size} blocks")
    if (x < 0).any():
        raise ValueError(f"{name} must be non-negative, got {x.tolist()}")
    return x


# -- the pieces every criterion shares -------------------------------------------------
def _gls_parts(
    y: np.ndarray, X: np.ndarray, V: np.ndarray
) -> tuple[float, float, np.ndarray, float]:
    """``log|V|``, ``log|X'V^{-1}X|``, ``beta_hat`` and ``r'V^{-1}r`` (inputs trusted)."""
    cho_V = cholesky(V, "V")
    logdet_V = 2.0 * float(np.log(np.diag(cho_V[0])).sum())
    Vinv_X = scipy.linalg.cho_solve(cho_V, X)
    Vinv_y = scipy.linalg.cho_solve(cho_V, y)
    cho_A = scipy.linalg.cho_factor(X.T @ Vinv_X, lower=True)
    logdet_A = 2.0 * float(np.log(np.diag(cho_A[0])).sum())
    beta = scipy.linalg.cho_solve(cho_A, X.T @ Vinv_y)
    r = y - X @ beta
    quad = float(r @ scipy.linalg.cho_solve(cho_V, r))
    return logdet_V, logdet_A, beta, quad


def _logdet_xtx(X: np.ndarray) -> float:
    return 2.0 * float(np.log(np.abs(np.diag(np.linalg.qr(X, mode="r")))).sum())


# -- public functions --------------------------------------------------------------------
def gls_beta(y: Any, X: Any, V: Any) -> np.ndarray:
    """The GLS estimate ``beta_hat(theta) = (X'V^{-1}X)^{-1} X'V^{-1} y``, Chapter 4, eq. (4.2).

    For a fixed covariance ``V`` it maximises the log-likelihood (4.1) over ``beta``.

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    V : array_like of shape (n, n)
        ``cov(Y)``, symmetric positive definite.

    Returns
    -------
    ndarray of shape (p,)

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a rank-deficient ``X`` or a
        ``V`` that is not symmetric positive definite.
    TypeError
        On non-numeric input.

    Examples
    --------
    Weights ``1`` and ``1/4``: ``(1 + 3/4) / (1 + 1/4) = 1.4``.

    >>> import numpy as np
    >>> gls_beta([1.0, 3.0], np.ones((2, 1)), np.diag([1.0, 4.0])).round(12).tolist()
    [1.4]
    """
    y, X, V = _check_yXV(y, X, V)
    return _gls_parts(y, X, V)[2]


def loglik_ml(y: Any, X: Any, V: Any, beta: Any = None) -> float:
    """The Gaussian log-likelihood, Chapter 4, eqs. (4.1) and (4.3).

    .. math::

        \\ell(\\beta, \\theta) = -\\tfrac12\\,[\\,n\\log 2\\pi + \\log|V|
            + (y - X\\beta)'V^{-1}(y - X\\beta)\\,].

    With ``beta=None`` the GLS estimate (4.2) is put in for ``beta``: the
    profile log-likelihood ``l_P(theta)`` (4.3), which ML maximises.

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    V : array_like of shape (n, n)
        ``cov(Y)``, symmetric positive definite.
    beta : array_like of shape (p,), optional
        Where to evaluate; default: profiled (``beta = gls_beta(y, X, V)``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a rank-deficient ``X`` or a
        ``V`` that is not symmetric positive definite.
    TypeError
        On non-numeric input.

    Examples
    --------
    One observation ``y = 0`` with ``V = 1``: ``-log(2 pi) / 2``.

    >>> import numpy as np
    >>> round(loglik_ml([0.0], [[1.0]], [[1.0]], beta=[0.0]), 6)
    -0.918939
    """
    y, X, V = _check_yXV(y, X, V)
    n = y.size
    if beta is None:
        logdet_V, _, _, quad = _gls_parts(y, X, V)
    else:
        beta = as_vector(beta, "beta")
        if beta.size != X.shape[1]:
            raise ValueError(f"beta has {beta.size} entries but X has {X.shape[1]} columns")
        cho_V = cholesky(V, "V")
        logdet_V = 2.0 * float(np.log(np.diag(cho_V[0])).sum())
        r = y - X @ beta
        quad = float(r @ scipy.linalg.cho_solve(cho_V, r))
    return -0.5 * (n * _LOG_2PI + logdet_V + quad)


def loglik_reml(y: Any, X: Any, V: Any, convention: str = "lme4") -> float:
    """The restricted (REML) log-likelihood, Chapter 4, eq. (4.6).

    .. math::

        \\ell_R(\\theta) = -\\tfrac12\\,[\\,(n-p)\\log 2\\pi + \\log|V|
            + \\log|X'V^{-1}X| + r'V^{-1}r\\,], \\qquad r = y - X\\hat\\beta(\\theta).

    This is the convention of lme4 and of :func:`lmmtext.varcomp.fit_varcomp`.
    With ``convention="contrast"`` the term ``+ 1/2 log|X'X|`` is added, and the
    value is then exactly the log-density of ``K'y`` for any ``K`` with
    ``K'X = 0`` and ``K'K = I`` (eq. 4.7; :func:`loglik_contrasts`).  The two
    differ by a constant that does not involve ``V``, so they have the same
    maximiser.

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank, ``p < n``.
    V : array_like of shape (n, n)
        ``cov(Y)``, symmetric positive definite.
    convention : {"lme4", "contrast"}, default "lme4"
        Which constant: without ``log|X'X|`` (lme4) or with it (orthonormal
        error contrasts).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a rank-deficient ``X``,
        ``p >= n`` (no error contrasts), a ``V`` that is not symmetric positive
        definite, or an unknown ``convention``.
    TypeError
        On non-numeric input or a ``convention`` that is not a string.

    References
    ----------
    Patterson, H. D. and Thompson, R. (1971). *Biometrika* 58, 545-554.
    Harville, D. A. (1974). *Biometrika* 61, 383-385.

    Examples
    --------
    ``y = (1, 3)``, ``X = 1``, ``V = I``: one contrast ``(y_2 - y_1)/sqrt 2 = sqrt 2``.

    >>> import numpy as np
    >>> round(loglik_reml([1.0, 3.0], np.ones((2, 1)), np.eye(2), "contrast"), 6)
    -1.918939
    >>> round(float(-0.5 * np.log(2 * np.pi) - 0.5 * 2.0), 6)
    -1.918939
    """
    if not isinstance(convention, str):
        raise TypeError(f"convention must be 'lme4' or 'contrast', got {type(convention).__name__}")
    if convention not in ("lme4", "contrast"):
        raise ValueError(f"convention must be 'lme4' or 'contrast', got {convention!r}")
    y, X, V = _check_yXV(y, X, V)
    n, p = X.shape
    if p >= n:
        raise ValueError(f"REML needs p < n: X has {p} columns and y only {n} observations")
    logdet_V, logdet_A, _, quad = _gls_parts(y, X, V)
    value = -0.5 * ((n - p) * _LOG_2PI + logdet_V + logdet_A + quad)
    if convention == "contrast":
        value += 0.5 * _logdet_xtx(X)
    return value


def error_contrasts(X: Any) -> np.ndarray:
    """An orthonormal basis ``K`` of the error contrasts, Chapter 4, eq. (4.5).

    ``K`` is ``n x (n - p)`` with ``K'X = 0`` and ``K'K = I``: the last ``n - p``
    columns of the complete QR factor of ``X``.  ``K'Y ~ N(0, K'VK)`` whatever
    ``beta`` is.  Any other full-rank choice is ``K A`` with ``A`` nonsingular.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank, ``p < n``.

    Returns
    -------
    ndarray of shape (n, n - p)

    Raises
    ------
    ValueError
        On NaN/infinite values, a rank-deficient ``X`` or ``p >= n``.
    TypeError
        On non-numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> K = error_contrasts(np.ones((3, 1)))
    >>> K.shape, bool(np.allclose(K.T @ np.ones(3), 0)), bool(np.allclose(K.T @ K, np.eye(2)))
    ((3, 2), True, True)
    """
    X = as_matrix(X, "X")
    n, p = X.shape
    check_full_column_rank(X, "X")
    if p >= n:
        raise ValueError(
            f"X has {p} columns and {n} rows: there are no error contrasts (need p < n)"
        )
    Q, _ = np.linalg.qr(X, mode="complete")
    return Q[:, p:]


def loglik_contrasts(y: Any, K: Any, V: Any) -> float:
    """Log-density of the error contrasts ``K'y ~ N(0, K'VK)``, Chapter 4, eq. (4.5).

    .. math::

        \\ell_K(\\theta) = -\\tfrac12\\,[\\,m\\log 2\\pi + \\log|K'VK|
            + y'K(K'VK)^{-1}K'y\\,], \\qquad m = \\text{columns of } K.

    The function does not need ``X``: it is the plain normal log-density of
    ``K'y``.  When ``K'X = 0``, with ``m = n - p`` and full column rank, Theorem 4.1
    gives ``l_K = l_R + 1/2 log|X'X| - 1/2 log|K'K|`` (eq. 4.7).

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    K : array_like of shape (n, m)
        Contrast matrix, full column rank, ``m <= n``.
    V : array_like of shape (n, n)
        ``cov(Y)``, symmetric positive definite.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a ``K`` without full column
        rank, or a ``V`` that is not symmetric positive definite.
    TypeError
        On non-numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[-1.0], [1.0]]) / np.sqrt(2)
    >>> round(loglik_contrasts([1.0, 3.0], K, np.eye(2)), 6)
    -1.918939
    """
    y = as_vector(y, "y")
    n = y.size
    K = as_matrix(K, "K")
    if K.shape[0] != n:
        raise ValueError(f"K has {K.shape[0]} rows but y has {n} observations")
    check_full_column_rank(K, "K")
    V = _check_V(V, n)
    cholesky(V, "V")  # V itself must be a covariance matrix
    m = K.shape[1]
    cho = cholesky(K.T @ V @ K, "K'VK")
    logdet = 2.0 * float(np.log(np.diag(cho[0])).sum())
    Ky = K.T @ y
    return -0.5 * (m * _LOG_2PI + logdet + float(Ky @ scipy.linalg.cho_solve(cho, Ky)))


def profiled_loglik(
    y: Any, X: Any, Z_blocks: Sequence[Any], theta: Any, method: str = "REML"
) -> float:
    """ML or REML log-likelihood with ``beta`` and ``sigma^2`` profiled out, Chapter 4, eq. (4.12).

    Write ``V = sigma^2 H_theta`` with ``H_theta = I + sum_l theta_l^2 Z_l Z_l'``
    (``theta_l = sigma_l / sigma``).  Maximising over ``sigma^2`` gives
    ``sigma^2_hat = r'H^{-1}r / n`` (ML) or ``/ (n - p)`` (REML), and

    .. math::

        -2\\ell_P(\\theta) = \\log|H_\\theta| + n\\,[1 + \\log(2\\pi\\hat\\sigma^2)],

        -2\\ell_R(\\theta) = \\log|H_\\theta| + \\log|X'H_\\theta^{-1}X|
            + (n-p)\\,[1 + \\log(2\\pi\\hat\\sigma^2)].

    At the estimate ``theta_hat`` this is the maximised log-likelihood that
    :func:`lmmtext.varcomp.fit_varcomp` reports as ``loglik``.

    Parameters
    ----------
    y : array_like of shape (n,)
        Responses.
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank, ``p < n``.
    Z_blocks : sequence of array_like, each of shape (n, q_l)
        One design matrix per variance component.
    theta : array_like of shape (L,)
        Relative standard deviations ``theta_l >= 0``.
    method : {"REML", "ML"}, default "REML"

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a rank-deficient ``X``, a
        negative ``theta``, an unknown ``method``, or data fitted exactly
        (``r'H^{-1}r = 0``).
    TypeError
        On non-numeric input, ``Z_blocks`` that is not a list, or a ``method``
        that is not a string.

    Examples
    --------
    With ``theta = 0`` the model is ordinary regression: ML ``sigma^2 = RSS/n``.

    >>> import numpy as np
    >>> y = np.array([1.0, 3.0, 2.0, 6.0]); X = np.ones((4, 1))
    >>> Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> s2 = np.mean((y - y.mean()) ** 2)
    >>> bool(np.isclose(profiled_loglik(y, X, [Z], [0.0], "ML"),
    ...                 loglik_ml(y, X, s2 * np.eye(4))))
    True
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be 'REML' or 'ML', got {type(method).__name__}")
    if method.upper() not in ("REML", "ML"):
        raise ValueError(f"method must be 'REML' or 'ML', got {method!r}")
    reml = method.upper() == "REML"
    y = as_vector(y, "y")
    n = y.size
    X = as_matrix(X, "X")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    check_full_column_rank(X, "X")
    p = X.shape[1]
    if reml and p >= n:
        raise ValueError(f"REML needs p < n: X has {p} columns and y only {n} observations")
    blocks = _check_Z_blocks(Z_blocks, n)
    theta = _check_nonneg_vector(theta, "theta", len(blocks))
    H = np.eye(n)
    for t, Z in zip(theta, blocks):
        H += t**2 * (Z @ Z.T)
    logdet_H, logdet_A, _, quad = _gls_parts(y, X, H)
    if quad <= 0:
        raise ValueError("the residuals are exactly 0: sigma^2 cannot be profiled out")
    df = n - p if reml else n
    d = logdet_H + df * (1.0 + np.log(2.0 * np.pi * quad / df))
    if reml:
        d += logdet_A
    return -0.5 * float(d)
