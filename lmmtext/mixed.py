"""The linear mixed model ``Y = X beta + Z gamma + e`` (Chapter 1 and the theory chapters).

``E(gamma) = 0``, ``cov(gamma) = D``, ``cov(e) = R``, ``cov(gamma, e) = 0``.
Defined here: the marginal covariance ``V = Z D Z' + R``, the covariance of the
stacked vector ``(Y, gamma)``, and the two routes to the BLUE of ``beta`` and
the BLUP of ``gamma``: Henderson's mixed-model equations and generalized least
squares followed by ``gamma_hat = D Z' V^{-1} (y - X beta_hat)``.  All systems
are solved through Cholesky factorizations; no inverse is formed to solve.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from ._validate import as_matrix, as_vector, check_full_column_rank, cholesky

__all__ = ["MixedSolution", "gls_blup", "henderson_mme", "joint_cov", "marginal_cov"]


@dataclass(frozen=True)
class MixedSolution:
    """``beta_hat`` (the BLUE of ``beta``) and ``gamma_hat`` (the BLUP of ``gamma``)."""

    beta_hat: np.ndarray
    gamma_hat: np.ndarray


def _check_cov_parts(Z: Any, D: Any, R: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Z = as_matrix(Z, "Z")
    D = as_matrix(D, "D")
    R = as_matrix(R, "R")
    n, q = Z.shape
    if D.shape != (q, q):
        raise ValueError(f"D must be {q} x {q} to match the {q} columns of Z, got shape {D.shape}")
    if R.shape != (n, n):
        raise ValueError(f"R must be {n} x {n} to match the {n} rows of Z, got shape {R.shape}")
    return Z, D, R


def _check_model(
    X: Any, Z: Any, y: Any, D: Any, R: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Z, D, R = _check_cov_parts(Z, D, R)
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    n = Z.shape[0]
    if y.size != n:
        raise ValueError(f"y has {y.size} observations but Z has {n} rows")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    check_full_column_rank(X, "X")
    return X, Z, y, D, R


def marginal_cov(Z: Any, D: Any, R: Any) -> np.ndarray:
    """Marginal covariance of ``Y``: ``V = Z D Z' + R``, Chapter 1, eq. (1.8).

    Parameters
    ----------
    Z : array_like of shape (n, q)
        Random-effects design matrix.
    D : array_like of shape (q, q)
        ``cov(gamma)``.
    R : array_like of shape (n, n)
        ``cov(e)``.

    Returns
    -------
    ndarray of shape (n, n)

    Raises
    ------
    ValueError
        On mismatched shapes or NaN/infinite entries.

    Examples
    --------
    >>> import numpy as np
    >>> marginal_cov(np.ones((2, 1)), [[2.0]], np.eye(2)).tolist()
    [[3.0, 2.0], [2.0, 3.0]]
    """
    Z, D, R = _check_cov_parts(Z, D, R)
    return Z @ D @ Z.T + R


def joint_cov(Z: Any, D: Any, R: Any) -> np.ndarray:
    """Covariance of the stacked vector ``(Y, gamma)``, Chapter 1, eq. (1.9).

    ``[[Z D Z' + R, Z D], [D Z', D]]``: the off-diagonal block is
    ``cov(Y, gamma) = cov(Z gamma + e, gamma) = Z D`` because ``cov(gamma, e) = 0``.

    Returns
    -------
    ndarray of shape (n + q, n + q)

    Examples
    --------
    >>> import numpy as np
    >>> joint_cov(np.ones((2, 1)), [[2.0]], np.eye(2)).tolist()
    [[3.0, 2.0, 2.0], [2.0, 3.0, 2.0], [2.0, 2.0, 2.0]]
    """
    Z, D, R = _check_cov_parts(Z, D, R)
    ZD = Z @ D
    return np.block([[ZD @ Z.T + R, ZD], [ZD.T, D]])


def henderson_mme(X: Any, Z: Any, y: Any, D: Any, R: Any) -> MixedSolution:
    """Solve Henderson's mixed-model equations, Chapter 1, eq. (1.10).

    .. math::

        \\begin{pmatrix} X'R^{-1}X & X'R^{-1}Z \\\\ Z'R^{-1}X & Z'R^{-1}Z + D^{-1} \\end{pmatrix}
        \\begin{pmatrix} \\hat\\beta \\\\ \\hat\\gamma \\end{pmatrix}
        = \\begin{pmatrix} X'R^{-1}y \\\\ Z'R^{-1}y \\end{pmatrix}

    ``R^{-1}`` and ``D^{-1}`` enter only through Cholesky solves.  The solution
    equals :func:`gls_blup` (Henderson 1950, 1975).

    Parameters
    ----------
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    Z : array_like of shape (n, q)
        Random-effects design.
    y : array_like of shape (n,)
        Responses.
    D, R : array_like
        ``cov(gamma)`` (q x q) and ``cov(e)`` (n x n), symmetric positive definite.

    Returns
    -------
    MixedSolution
        ``beta_hat`` (BLUE) and ``gamma_hat`` (BLUP).

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, a rank-deficient ``X``, or a
        ``D`` or ``R`` that is not symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((4, 1)); Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> sol = henderson_mme(X, Z, [1.0, 3.0, 9.0, 11.0], np.eye(2), 2 * np.eye(4))
    >>> sol.beta_hat.round(6).tolist(), sol.gamma_hat.round(6).tolist()
    ([6.0], [-2.0, 2.0])
    """
    X, Z, y, D, R = _check_model(X, Z, y, D, R)
    cho_R = cholesky(R, "R")
    cho_D = cholesky(D, "D")
    p, q = X.shape[1], Z.shape[1]
    W = np.hstack([X, Z])
    Rinv_W = scipy.linalg.cho_solve(cho_R, W)
    C = W.T @ Rinv_W
    C[p:, p:] += scipy.linalg.cho_solve(cho_D, np.eye(q))
    rhs = Rinv_W.T @ y
    sol = scipy.linalg.solve(C, rhs, assume_a="pos")
    return MixedSolution(beta_hat=sol[:p], gamma_hat=sol[p:])


def gls_blup(X: Any, Z: Any, y: Any, D: Any, R: Any) -> MixedSolution:
    """GLS estimate of ``beta`` and ``gamma_hat = D Z' V^{-1} (y - X beta_hat)``, Chapter 1, eq. (1.11).

    ``beta_hat = (X' V^{-1} X)^{-1} X' V^{-1} y`` with ``V = Z D Z' + R``, computed
    from one Cholesky factorization of ``V``.  ``gamma_hat`` is ``E[gamma | Y]``
    with ``beta`` replaced by its GLS estimate: the BLUP.

    Parameters and Raises as in :func:`henderson_mme`.

    Returns
    -------
    MixedSolution

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((4, 1)); Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> sol = gls_blup(X, Z, [1.0, 3.0, 9.0, 11.0], np.eye(2), 2 * np.eye(4))
    >>> sol.beta_hat.round(6).tolist(), sol.gamma_hat.round(6).tolist()
    ([6.0], [-2.0, 2.0])
    """
    X, Z, y, D, R = _check_model(X, Z, y, D, R)
    cholesky(R, "R")
    cholesky(D, "D")
    cho_V = scipy.linalg.cho_factor(Z @ D @ Z.T + R, lower=True)
    Vinv_X = scipy.linalg.cho_solve(cho_V, X)
    beta_hat = scipy.linalg.solve(X.T @ Vinv_X, Vinv_X.T @ y, assume_a="pos")
    gamma_hat = D @ Z.T @ scipy.linalg.cho_solve(cho_V, y - X @ beta_hat)
    return MixedSolution(beta_hat=beta_hat, gamma_hat=gamma_hat)
