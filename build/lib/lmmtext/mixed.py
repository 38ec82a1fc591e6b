"""The linear mixed model ``Y = X beta + Z gamma + e`` (Chapters 1, 3 and 5).

``E(gamma) = 0``, ``cov(gamma) = D``, ``cov(e) = R``, ``cov(gamma, e) = 0``.
Defined here: the marginal covariance ``V = Z D Z' + R``, the covariance of the
stacked vector ``(Y, gamma)``, and the two routes to the BLUE of ``beta`` and
the BLUP of ``gamma``: Henderson's mixed-model equations and generalized least
squares followed by ``gamma_hat = D Z' V^{-1} (y - X beta_hat)``.  All systems
are solved through Cholesky factorizations; no inverse is formed to solve.

Chapter 3 adds the conditional distribution of ``gamma`` given ``Y`` and the
variance-component model ``V = sum_l sigma_l^2 Z_l Z_l' + R``; Chapter 5 adds the
coefficient matrix of the mixed-model equations, the prediction-error
covariance of the BLUP, the Woodbury solve and the augmented (penalized)
least-squares system.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg

from ._validate import as_matrix, as_variance, as_vector, check_full_column_rank, cholesky

__all__ = [
    "ConditionalGamma",
    "MixedSolution",
    "augmented_pls_system",
    "block_diag_D",
    "conditional_gamma",
    "gls_blup",
    "henderson_mme",
    "joint_cov",
    "joint_log_density",
    "marginal_cov",
    "mme_coefficient_matrix",
    "prediction_error_cov",
    "varcomp_cov",
    "woodbury_solve",
]


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


# --- Chapter 3: the joint distribution and the variance-component model -------


class ConditionalGamma(NamedTuple):
    """Mean and covariance of ``gamma`` given ``Y = y`` (Chapter 3, eqs. (3.5)-(3.6))."""

    mean: np.ndarray
    cov: np.ndarray


def conditional_gamma(X: Any, Z: Any, y: Any, beta: Any, D: Any, R: Any) -> ConditionalGamma:
    """Conditional distribution of ``gamma`` given ``Y = y``, Chapter 3, eqs. (3.5)-(3.6).

    Under normality ``(Y, gamma)`` is jointly normal (Chapter 3, eq. (3.3)), so

    .. math::

        E[\\gamma \\mid Y] = D Z' V^{-1} (Y - X\\beta), \\qquad
        \\operatorname{cov}(\\gamma \\mid Y) = D - D Z' V^{-1} Z D,

    with ``V = Z D Z' + R``.  Both are computed from one Cholesky factor of ``V``.
    ``D`` may be singular (a variance component equal to 0); ``V`` must be
    positive definite.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Fixed-effects design.
    Z : array_like of shape (n, q)
        Random-effects design.
    y : array_like of shape (n,)
        The observed responses.
    beta : array_like of shape (p,)
        The (known) fixed effects.
    D : array_like of shape (q, q)
        ``cov(gamma)``, symmetric positive semi-definite.
    R : array_like of shape (n, n)
        ``cov(e)``, symmetric positive definite.

    Returns
    -------
    ConditionalGamma
        ``mean`` of shape (q,) and ``cov`` of shape (q, q).

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite entries, a non-symmetric ``D`` or a
        ``V`` that is not positive definite.

    References
    ----------
    Searle, Casella and McCulloch (1992), *Variance Components*, Section 7.4.

    Examples
    --------
    >>> import numpy as np
    >>> cg = conditional_gamma(np.ones((2, 1)), np.ones((2, 1)), [3.0, 5.0], [0.0],
    ...                        [[2.0]], np.eye(2))
    >>> cg.mean.round(6).tolist(), cg.cov.round(6).tolist()
    ([3.2], [[0.4]])
    """
    Z, D, R = _check_cov_parts(Z, D, R)
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    beta = as_vector(beta, "beta")
    n = Z.shape[0]
    if y.size != n:
        raise ValueError(f"y has {y.size} observations but Z has {n} rows")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    if beta.size != X.shape[1]:
        raise ValueError(f"beta has {beta.size} entries but X has {X.shape[1]} columns")
    if not np.allclose(D, D.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(D).max())):
        raise ValueError("D must be symmetric")
    cho_V = cholesky(Z @ D @ Z.T + R, "V = Z D Z' + R")
    ZD = Z @ D
    mean = ZD.T @ scipy.linalg.cho_solve(cho_V, y - X @ beta)
    cov = D - ZD.T @ scipy.linalg.cho_solve(cho_V, ZD)
    return ConditionalGamma(mean=mean, cov=(cov + cov.T) / 2)


def _as_components(sigma2_components: Any) -> np.ndarray:
    s2 = as_vector(sigma2_components, "sigma2_components")
    if (s2 < 0).any():
        raise ValueError(
            f"sigma2_components are variances and must be non-negative, got {s2.tolist()}"
        )
    return s2


def block_diag_D(sigma2_components: Any, sizes: Any) -> np.ndarray:
    """``D = diag(sigma_1^2 I_{q_1}, ..., sigma_L^2 I_{q_L})``, Chapter 3, eq. (3.7).

    Parameters
    ----------
    sigma2_components : array_like of shape (L,)
        The variance components ``sigma_l^2 >= 0``.
    sizes : array_like of int, shape (L,)
        ``q_l``, the number of levels (columns of ``Z_l``) of each factor.

    Returns
    -------
    ndarray of shape (sum(sizes), sum(sizes))
        The diagonal matrix ``cov(gamma)``.

    Raises
    ------
    ValueError
        If a variance is negative, a size is not a positive integer, or the two
        arguments differ in length.

    Examples
    --------
    >>> block_diag_D([4.0, 1.0], [2, 1]).tolist()
    [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 1.0]]
    """
    s2 = _as_components(sigma2_components)
    q = as_vector(sizes, "sizes")
    if (q < 1).any() or (q != np.round(q)).any():
        raise ValueError(f"sizes must be positive integers, got {q.tolist()}")
    if q.size != s2.size:
        raise ValueError(
            f"sigma2_components has {s2.size} entries but sizes has {q.size}"
        )
    return np.diag(np.repeat(s2, q.astype(int)))


def varcomp_cov(Z_blocks: Sequence[Any], sigma2_components: Any, R: Any) -> np.ndarray:
    """``V = sum_l sigma_l^2 Z_l Z_l' + R`` of the variance-component model, Chapter 3, eq. (3.8).

    Equal to :func:`marginal_cov` with ``Z = [Z_1, ..., Z_L]`` and
    ``D = block_diag_D(sigma2_components, [q_1, ..., q_L])``.

    Parameters
    ----------
    Z_blocks : sequence of array_like, each of shape (n, q_l)
        The design matrix of each random factor.
    sigma2_components : array_like of shape (L,)
        The variance components ``sigma_l^2 >= 0``, one per block.
    R : array_like of shape (n, n), or float
        ``cov(e)``; a number ``sigma^2`` means ``R = sigma^2 I_n`` (Chapter 4, eq. (4.11)).

    Returns
    -------
    ndarray of shape (n, n)

    Raises
    ------
    ValueError
        If there are no blocks, the number of blocks and of components differ,
        a block or ``R`` does not have ``n`` rows, or a variance is negative.
    TypeError
        If ``Z_blocks`` is not a sequence of numeric matrices.

    Examples
    --------
    >>> import numpy as np
    >>> Z_a = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> varcomp_cov([Z_a], [2.0], np.eye(3)).tolist()
    [[3.0, 2.0, 0.0], [2.0, 3.0, 0.0], [0.0, 0.0, 3.0]]
    >>> varcomp_cov([Z_a], [2.0], 1.0).tolist()
    [[3.0, 2.0, 0.0], [2.0, 3.0, 0.0], [0.0, 0.0, 3.0]]
    """
    if isinstance(Z_blocks, np.ndarray) or not isinstance(Z_blocks, Sequence):
        raise TypeError(
            "Z_blocks must be a list of matrices, one per random factor, "
            f"got {type(Z_blocks).__name__}"
        )
    if len(Z_blocks) == 0:
        raise ValueError("Z_blocks is empty: give at least one random factor")
    s2 = _as_components(sigma2_components)
    if s2.size != len(Z_blocks):
        raise ValueError(
            f"Z_blocks has {len(Z_blocks)} blocks but sigma2_components has {s2.size} entries"
        )
    if np.ndim(R) == 0:
        sigma2 = as_variance(R, "sigma2 (R given as a scalar)", positive=True)
        R = sigma2 * np.eye(as_matrix(Z_blocks[0], "Z_blocks[0]").shape[0])
    R = as_matrix(R, "R")
    n = R.shape[0]
    if R.shape != (n, n):
        raise ValueError(f"R must be square, got shape {R.shape}")
    V = R.copy()
    for l, (Z_l, s2_l) in enumerate(zip(Z_blocks, s2)):
        Z_l = as_matrix(Z_l, f"Z_blocks[{l}]")
        if Z_l.shape[0] != n:
            raise ValueError(f"Z_blocks[{l}] has {Z_l.shape[0]} rows but R is {n} x {n}")
        V += s2_l * (Z_l @ Z_l.T)
    return V


# --- Chapter 5: the mixed-model equations --------------------------------------


def _check_design(
    X: Any, Z: Any, D: Any, R: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Z, D, R = _check_cov_parts(Z, D, R)
    X = as_matrix(X, "X")
    if X.shape[0] != Z.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Z has {Z.shape[0]} rows")
    check_full_column_rank(X, "X")
    return X, Z, D, R


def joint_log_density(X: Any, Z: Any, y: Any, beta: Any, gamma: Any, D: Any, R: Any) -> float:
    """``log f(y, gamma | beta) = log f(y | gamma, beta) + log f(gamma)``, Chapter 5, eqs. (5.1)-(5.2).

    With ``y | gamma ~ N(X beta + Z gamma, R)`` and ``gamma ~ N(0, D)``,

    .. math::

        -2 \\log f(y, \\gamma \\mid \\beta)
        = (y - X\\beta - Z\\gamma)' R^{-1} (y - X\\beta - Z\\gamma)
          + \\gamma' D^{-1} \\gamma + \\log|R| + \\log|D| + (n + q) \\log 2\\pi.

    Henderson's equations are the stationarity conditions of this function
    in ``(beta, gamma)``; it also equals the log-density of the joint normal
    distribution of ``(Y, gamma)`` (Chapter 3, eq. (3.3)).

    Parameters
    ----------
    X, Z, y, D, R : array_like
        As in :func:`henderson_mme` (``X`` need not have full rank here).
    beta : array_like of shape (p,)
    gamma : array_like of shape (q,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, or a ``D`` or ``R`` that is
        not symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> val = joint_log_density(np.ones((1, 1)), np.ones((1, 1)), [0.0], [0.0], [0.0],
    ...                         [[1.0]], [[1.0]])
    >>> bool(np.isclose(val, -np.log(2 * np.pi)))
    True
    """
    Z, D, R = _check_cov_parts(Z, D, R)
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    beta = as_vector(beta, "beta")
    gamma = as_vector(gamma, "gamma")
    n, q = Z.shape
    if y.size != n:
        raise ValueError(f"y has {y.size} observations but Z has {n} rows")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    if beta.size != X.shape[1]:
        raise ValueError(f"beta has {beta.size} entries but X has {X.shape[1]} columns")
    if gamma.size != q:
        raise ValueError(f"gamma has {gamma.size} entries but Z has {q} columns")
    cho_R = cholesky(R, "R")
    cho_D = cholesky(D, "D")
    r = y - X @ beta - Z @ gamma
    quad = r @ scipy.linalg.cho_solve(cho_R, r) + gamma @ scipy.linalg.cho_solve(cho_D, gamma)
    logdet = 2 * np.sum(np.log(np.diag(cho_R[0]))) + 2 * np.sum(np.log(np.diag(cho_D[0])))
    return float(-0.5 * (quad + logdet + (n + q) * np.log(2 * np.pi)))


def mme_coefficient_matrix(X: Any, Z: Any, D: Any, R: Any) -> np.ndarray:
    """The coefficient matrix ``C`` of Henderson's equations, Chapter 5, eq. (5.3).

    .. math::

        C = \\begin{pmatrix} X'R^{-1}X & X'R^{-1}Z \\\\
                             Z'R^{-1}X & Z'R^{-1}Z + D^{-1} \\end{pmatrix}

    ``R^{-1}`` and ``D^{-1}`` enter through Cholesky solves.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    Z : array_like of shape (n, q)
        Random-effects design.
    D, R : array_like
        ``cov(gamma)`` (q x q) and ``cov(e)`` (n x n), symmetric positive definite.

    Returns
    -------
    ndarray of shape (p + q, p + q)
        Symmetric positive definite.

    Raises
    ------
    ValueError
        As :func:`henderson_mme`.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> mme_coefficient_matrix(np.ones((4, 1)), Z, np.eye(2), np.eye(4)).tolist()
    [[4.0, 2.0, 2.0], [2.0, 3.0, 0.0], [2.0, 0.0, 3.0]]
    """
    X, Z, D, R = _check_design(X, Z, D, R)
    return _coefficient_matrix(X, Z, D, R)


def _coefficient_matrix(X: np.ndarray, Z: np.ndarray, D: np.ndarray, R: np.ndarray) -> np.ndarray:
    cho_R = cholesky(R, "R")
    cho_D = cholesky(D, "D")
    p, q = X.shape[1], Z.shape[1]
    W = np.hstack([X, Z])
    C = W.T @ scipy.linalg.cho_solve(cho_R, W)
    C[p:, p:] += scipy.linalg.cho_solve(cho_D, np.eye(q))
    return (C + C.T) / 2


def prediction_error_cov(X: Any, Z: Any, D: Any, R: Any) -> np.ndarray:
    """``var(gamma_hat - gamma)``: the lower-right block of ``C^{-1}``, Chapter 5, eq. (5.6).

    The errors ``(beta_hat - beta, gamma_hat - gamma)`` of the solution of the
    mixed-model equations have covariance ``C^{-1}``.  The ``q`` columns of
    ``C^{-1}`` that belong to ``gamma`` are obtained by a Cholesky solve of
    ``C`` against the last ``q`` columns of the identity; no inverse is formed.

    Parameters
    ----------
    X, Z, D, R : array_like
        As in :func:`mme_coefficient_matrix`.

    Returns
    -------
    ndarray of shape (q, q)
        The prediction-error covariance of the BLUP ``gamma_hat``.

    Raises
    ------
    ValueError
        As :func:`henderson_mme`.

    References
    ----------
    Henderson (1975), Biometrics 31, 423-447.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> prediction_error_cov(np.ones((4, 1)), Z, np.eye(2), np.eye(4)).round(6).tolist()
    [[0.666667, 0.333333], [0.333333, 0.666667]]
    """
    X, Z, D, R = _check_design(X, Z, D, R)
    C = _coefficient_matrix(X, Z, D, R)
    p, q = X.shape[1], Z.shape[1]
    E = np.zeros((p + q, q))
    E[p:] = np.eye(q)
    cho_C = scipy.linalg.cho_factor(C, lower=True)
    block = scipy.linalg.cho_solve(cho_C, E)[p:]
    return (block + block.T) / 2


def woodbury_solve(Z: Any, D: Any, R: Any, b: Any) -> np.ndarray:
    """``V^{-1} b`` by the Woodbury identity, Chapter 5, eq. (5.4).

    .. math::

        V^{-1} = R^{-1} - R^{-1} Z (Z'R^{-1}Z + D^{-1})^{-1} Z'R^{-1},
        \\qquad V = Z D Z' + R.

    Only ``q x q`` and ``R`` systems are solved, never the ``n x n`` matrix ``V``:
    cheap when ``R`` is diagonal and ``q`` is small.

    Parameters
    ----------
    Z : array_like of shape (n, q)
    D, R : array_like
        Symmetric positive definite, (q, q) and (n, n).
    b : array_like of shape (n,) or (n, k)

    Returns
    -------
    ndarray of the shape of ``b``

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values, or a ``D`` or ``R`` that is
        not symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> woodbury_solve(np.ones((2, 1)), [[2.0]], np.eye(2), [5.0, 5.0]).round(6).tolist()
    [1.0, 1.0]
    """
    Z, D, R = _check_cov_parts(Z, D, R)
    b_arr = np.asarray(b, dtype=float) if not isinstance(b, str) else None
    if b_arr is None or b_arr.ndim not in (1, 2):
        raise ValueError("b must be a vector or a matrix")
    b_arr = as_vector(b_arr, "b") if b_arr.ndim == 1 else as_matrix(b_arr, "b")
    if b_arr.shape[0] != Z.shape[0]:
        raise ValueError(f"b has {b_arr.shape[0]} rows but Z has {Z.shape[0]}")
    cho_R = cholesky(R, "R")
    cho_D = cholesky(D, "D")
    Rinv_b = scipy.linalg.cho_solve(cho_R, b_arr)
    Rinv_Z = scipy.linalg.cho_solve(cho_R, Z)
    T = Z.T @ Rinv_Z + scipy.linalg.cho_solve(cho_D, np.eye(Z.shape[1]))
    return Rinv_b - Rinv_Z @ scipy.linalg.solve(T, Z.T @ Rinv_b, assume_a="pos")


def augmented_pls_system(
    X: Any, Z: Any, y: Any, D: Any, sigma2: float
) -> tuple[np.ndarray, np.ndarray]:
    """The augmented least-squares problem whose normal equations are the MME, Chapter 5, eq. (5.9).

    With ``R = sigma^2 I`` and ``D = L L'`` (Cholesky), minimising
    ``||y - X beta - Z gamma||^2 + sigma^2 gamma' D^{-1} gamma`` is ordinary least
    squares for

    .. math::

        \\begin{pmatrix} y \\\\ 0 \\end{pmatrix} \\approx
        \\begin{pmatrix} X & Z \\\\ 0 & \\sigma L^{-1} \\end{pmatrix}
        \\begin{pmatrix} \\beta \\\\ \\gamma \\end{pmatrix}:

    ``q`` pseudo-observations ``0 = sigma L^{-1} gamma + noise``.  For
    ``D = sigma_a^2 I`` they read ``0 = gamma_j + noise`` with weight
    ``sigma^2 / sigma_a^2``.

    Parameters
    ----------
    X : array_like of shape (n, p)
    Z : array_like of shape (n, q)
    y : array_like of shape (n,)
    D : array_like of shape (q, q)
        Symmetric positive definite.
    sigma2 : float
        The error variance ``sigma^2 > 0``.

    Returns
    -------
    A : ndarray of shape (n + q, p + q)
    b : ndarray of shape (n + q,)
        ``numpy.linalg.lstsq(A, b)`` gives ``(beta_hat, gamma_hat)``.

    Raises
    ------
    ValueError
        As :func:`henderson_mme`, or if ``sigma2`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((4, 1)); Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> A, b = augmented_pls_system(X, Z, [1.0, 3.0, 9.0, 11.0], np.eye(2), 2.0)
    >>> np.linalg.lstsq(A, b, rcond=None)[0].round(6).tolist()
    [6.0, -2.0, 2.0]
    """
    sigma2 = as_variance(sigma2, "sigma2", positive=True)
    Z = as_matrix(Z, "Z")
    X, Z, y_arr, D, _ = _check_model(X, Z, y, D, np.eye(Z.shape[0]))
    L, _ = cholesky(D, "D")
    L = np.tril(L)
    q = Z.shape[1]
    penalty = np.sqrt(sigma2) * scipy.linalg.solve_triangular(L, np.eye(q), lower=True)
    A = np.block([[X, Z], [np.zeros((q, X.shape[1])), penalty]])
    b = np.concatenate([y_arr, np.zeros(q)])
    return A, b
