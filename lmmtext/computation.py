"""Dense reference versions of the fitter's computation (Chapter 16).

Defined in Chapter 16, "How ``lmm`` fits a model".  The fitter
(:mod:`lmmtext.pls`, used by :func:`lmmtext.lmm.lmm`) never forms ``Z`` or
``Lambda_theta`` as one matrix and never touches the ``n`` observations during
the optimisation.  The functions here do the same computation the plain way,
with dense matrices, exactly as the equations of Chapter 16 read, so the book
and the tests can check the fast code against them:

- :func:`remat_from_data` -- the term ``(1 + x | g)`` of a data frame, as :func:`lmmtext.lmm.lmm` builds it;
- :func:`random_effects_matrix` -- ``Z = [Z_1 ... Z_K]``, the terms side by side;
- :func:`relative_covariance_factor` -- ``Lambda_theta``, eq. ``ch16-lambda``;
- :func:`pls_dense` -- the penalised least-squares solution, eqs. ``ch16-pls``-``ch16-chol``;
- :func:`profiled_deviance_dense` -- ``d(theta)`` and ``d_R(theta)``, eqs. ``ch16-deviance`` and ``ch16-reml``.

References
----------
Bates, D., Maechler, M., Bolker, B. and Walker, S. (2015). Fitting linear
mixed-effects models using lme4. *Journal of Statistical Software* 67(1), 1-48.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse

from ._validate import as_matrix, as_vector, check_finite, check_full_column_rank, cholesky
from .remat import ReMat

__all__ = [
    "DensePLS",
    "pls_dense",
    "profiled_deviance_dense",
    "random_effects_matrix",
    "relative_covariance_factor",
    "remat_from_data",
]


def _check_terms(terms: Any) -> list[ReMat]:
    if isinstance(terms, ReMat):
        terms = [terms]
    if not isinstance(terms, Sequence) or isinstance(terms, str):
        raise TypeError(f"terms must be a list of ReMat, got {type(terms).__name__}")
    if len(terms) == 0:
        raise ValueError("terms is empty: give at least one random-effects term")
    for k, t in enumerate(terms):
        if not isinstance(t, ReMat):
            raise TypeError(f"terms[{k}] must be a ReMat, got {type(t).__name__}")
    return list(terms)


def remat_from_data(data: Any, factor: str, slopes: Sequence[str] = ()) -> ReMat:
    """The random-effects term ``(1 + slopes | factor)`` of a data frame (Chapter 16).

    Row ``i`` of the term's ``Z`` holds ``(1, x_i1, ...)`` in the columns of
    the level of ``factor`` that observation ``i`` belongs to.  Levels are the
    observed categories of ``factor`` in their categorical order, as
    :func:`lmmtext.lmm.lmm` orders them.

    Parameters
    ----------
    data : pandas.DataFrame
    factor : str
        The grouping column.
    slopes : sequence of str, default ()
        Numeric columns with a random slope (correlated with the intercept).

    Returns
    -------
    ReMat
        ``s = 1 + len(slopes)`` coefficients per level, named ``"Intercept"``
        and the slope columns.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or a slope column is not numeric.
    ValueError
        If a column is missing, holds NaN, or ``factor`` has fewer than two levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["b", "a", "b"], "x": [0.0, 1.0, 2.0]})
    >>> t = remat_from_data(df, "g", ["x"])
    >>> list(t.levels), t.cnames, t.Z.toarray().tolist()
    (['a', 'b'], ('Intercept', 'x'), [[0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]])
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    slopes = [slopes] if isinstance(slopes, str) else list(slopes)
    missing = [c for c in [factor, *slopes] if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found in data (columns: {list(data.columns)})")
    if data[[factor, *slopes]].isna().to_numpy().any():
        raise ValueError(f"the columns {[factor, *slopes]} hold missing values (NaN)")
    for c in slopes:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise TypeError(f"slope column {c!r} must be numeric, got dtype {data[c].dtype}")
    cat = pd.Categorical(data[factor])
    used, codes = np.unique(cat.codes, return_inverse=True)
    if used.size < 2:
        raise ValueError(f"grouping factor {factor!r} has {used.size} level(s); it needs at least two")
    levels = pd.Index(cat.categories[used], name=factor)
    values = np.column_stack([np.ones(len(data))] + [data[c].to_numpy(float) for c in slopes])
    return ReMat.from_factor(factor, codes, levels, values, ("Intercept", *slopes))


def random_effects_matrix(terms: Sequence[ReMat]) -> scipy.sparse.csr_array:
    """``Z = [Z_1 Z_2 ... Z_K]``, the terms' model matrices side by side (Chapter 16).

    Parameters
    ----------
    terms : sequence of ReMat
        The random-effects terms, in the order ``theta`` lists them.

    Returns
    -------
    scipy.sparse.csr_array of shape (n, q)
        ``q = sum_k q_k``.

    Raises
    ------
    TypeError
        If ``terms`` is not a list of :class:`~lmmtext.remat.ReMat`.
    ValueError
        If ``terms`` is empty or the terms have different numbers of rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = ReMat.from_factor("g", np.array([0, 1, 1]), pd.Index(["a", "b"]),
    ...                       np.ones((3, 1)), ("Intercept",))
    >>> random_effects_matrix([t]).toarray().tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    """
    terms = _check_terms(terms)
    rows = {t.Z.shape[0] for t in terms}
    if len(rows) != 1:
        raise ValueError(f"the terms have different numbers of rows: {sorted(rows)}")
    return scipy.sparse.hstack([t.Z for t in terms], format="csr")


def relative_covariance_factor(terms: Sequence[ReMat], theta: Any) -> scipy.sparse.csr_array:
    """The relative covariance factor ``Lambda_theta``, Chapter 16, eq. ``ch16-lambda``.

    .. math::

        \\Lambda_\\theta = \\operatorname{blockdiag}_k\\,(I_{l_k} \\otimes T_k),

    where ``T_k`` is the ``s_k x s_k`` lower-triangular matrix holding term
    ``k``'s part of ``theta`` (:meth:`~lmmtext.remat.ReMat.lambda_factor`), so
    that ``cov(b) = sigma^2 Lambda_theta Lambda_theta'``.

    Parameters
    ----------
    terms : sequence of ReMat
        The random-effects terms, in the order ``theta`` lists them.
    theta : array_like of shape (sum_k s_k (s_k + 1) / 2,)
        The terms' parameters, concatenated.

    Returns
    -------
    scipy.sparse.csr_array of shape (q, q)
        Lower triangular; columns in the order of :func:`random_effects_matrix`.

    Raises
    ------
    TypeError
        If ``terms`` is not a list of ReMat or ``theta`` is not numeric.
    ValueError
        If ``theta`` has the wrong length or holds NaN/infinite values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = ReMat.from_factor("g", np.array([0, 1]), pd.Index(["a", "b"]),
    ...                       np.ones((2, 2)), ("Intercept", "x"))
    >>> relative_covariance_factor([t], [1.0, 2.0, 3.0]).toarray().tolist()
    [[1.0, 0.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0, 3.0]]
    """
    terms = _check_terms(terms)
    theta = as_vector(theta, "theta")
    sizes = [t.n_theta for t in terms]
    if theta.size != sum(sizes):
        raise ValueError(f"theta has {theta.size} entries but the terms need {sum(sizes)}")
    parts = np.split(theta, np.cumsum(sizes)[:-1])
    blocks = [
        scipy.sparse.kron(scipy.sparse.eye_array(t.n_levels), t.lambda_factor(th))
        for t, th in zip(terms, parts)
    ]
    return scipy.sparse.block_diag(blocks, format="csr")


@dataclass(frozen=True)
class DensePLS:
    """The penalised least-squares solution at one ``theta`` (dense, Chapter 16).

    Attributes
    ----------
    beta : ndarray of shape (p,)
        ``beta_hat(theta)``, eq. ``ch16-normal``.
    u : ndarray of shape (q,)
        The spherical random effects ``u_hat(theta)``.
    b : ndarray of shape (q,)
        ``Lambda_theta u_hat``, the conditional modes (BLUPs) of ``b``.
    pwrss : float
        ``r^2(theta)``, the minimum of eq. ``ch16-pls``.
    L : ndarray of shape (q, q)
        The lower Cholesky factor ``L_theta`` of ``Lambda'Z'Z Lambda + I``, eq. ``ch16-chol``.
    R_X : ndarray of shape (p, p)
        Upper triangular, ``R_X'R_X = X'X - R_ZX'R_ZX``.
    logdet_L, logdet_RX : float
        ``log|L_theta|^2`` and ``log|R_X|^2``.
    """

    beta: np.ndarray
    u: np.ndarray
    b: np.ndarray
    pwrss: float
    L: np.ndarray
    R_X: np.ndarray
    logdet_L: float
    logdet_RX: float


def _as_sparse(M: Any, name: str) -> scipy.sparse.csr_array:
    """A finite 2-D matrix as a sparse array (``Z`` and ``Lambda`` are mostly zero)."""
    if scipy.sparse.issparse(M):
        M = scipy.sparse.csr_array(M, dtype=float)
        if M.ndim != 2:
            raise ValueError(f"{name} must be a two-dimensional matrix, got shape {M.shape}")
        check_finite(M.data, name)
        return M
    return scipy.sparse.csr_array(as_matrix(M, name))


def _check_xzy(X: Any, Z: Any, y: Any, Lambda: Any) -> tuple[np.ndarray, ...]:
    y = as_vector(y, "y")
    n = y.size
    X = as_matrix(X, "X")
    Z = _as_sparse(Z, "Z")
    Lambda = _as_sparse(Lambda, "Lambda")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but y has {n} observations")
    if Z.shape[0] != n:
        raise ValueError(f"Z has {Z.shape[0]} rows but y has {n} observations")
    q = Z.shape[1]
    if Lambda.shape != (q, q):
        raise ValueError(f"Lambda must be {q} x {q} (Z has {q} columns), got shape {Lambda.shape}")
    check_full_column_rank(X, "X")
    return X, Z, y, Lambda


def pls_dense(X: Any, Z: Any, y: Any, Lambda: Any) -> DensePLS:
    """Solve the penalised least-squares problem densely, Chapter 16, eqs. ``ch16-pls``-``ch16-chol``.

    .. math::

        r^2(\\theta) = \\min_{\\beta, u}\\; \\|y - X\\beta - Z\\Lambda_\\theta u\\|^2 + \\|u\\|^2.

    One Cholesky factor of the ``(q + p) x (q + p)`` matrix of the normal
    equations ``ch16-normal``,

    .. math::

        \\begin{pmatrix} \\Lambda'Z'Z\\Lambda + I & \\Lambda'Z'X \\\\ X'Z\\Lambda & X'X \\end{pmatrix}
        = \\begin{pmatrix} L_\\theta & 0 \\\\ R_{ZX}' & R_X' \\end{pmatrix}
          \\begin{pmatrix} L_\\theta' & R_{ZX} \\\\ 0 & R_X \\end{pmatrix},

    gives ``L_theta`` (eq. 11.5), ``R_X``, and by two triangular solves
    ``beta_hat`` and ``u_hat``.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Fixed-effects design, full column rank.
    Z : array_like or sparse matrix of shape (n, q)
        Random-effects design.
    y : array_like of shape (n,)
    Lambda : array_like or sparse matrix of shape (q, q)
        The relative covariance factor (may be singular: ``theta`` on the boundary).

    Returns
    -------
    DensePLS

    Raises
    ------
    ValueError
        On mismatched shapes, NaN/infinite values or a rank-deficient ``X``.
    TypeError
        On non-numeric input.

    Examples
    --------
    Two groups of two, ``Lambda = I``: ``u_hat`` is ``2/3`` of the group mean's deviation.

    >>> import numpy as np
    >>> Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> sol = pls_dense(np.ones((4, 1)), Z, [1.0, 3.0, 9.0, 11.0], np.eye(2))
    >>> sol.beta.round(6).tolist(), sol.u.round(6).tolist()
    ([6.0], [-2.666667, 2.666667])
    """
    X, Z, y, Lambda = _check_xzy(X, Z, y, Lambda)
    q, p = Z.shape[1], X.shape[1]
    ZL = Z @ Lambda
    ZtX = np.asarray(ZL.T @ X)
    A = np.block([[(ZL.T @ ZL).toarray() + np.eye(q), ZtX], [ZtX.T, X.T @ X]])
    F, _ = cholesky(A, "the PLS matrix")
    F = np.tril(F)
    rhs = np.concatenate([ZL.T @ y, X.T @ y])
    c = scipy.linalg.solve_triangular(F, rhs, lower=True)
    coef = scipy.linalg.solve_triangular(F.T, c, lower=False)
    u, beta = coef[:q], coef[q:]
    resid = y - ZL @ u - X @ beta
    pwrss = float(resid @ resid + u @ u)
    L = F[:q, :q]
    R_X = F[q:, q:].T
    return DensePLS(
        beta=beta, u=u, b=Lambda @ u, pwrss=pwrss, L=L, R_X=R_X,
        logdet_L=float(2.0 * np.log(np.diag(L)).sum()),
        logdet_RX=float(2.0 * np.log(np.abs(np.diag(R_X))).sum()),
    )


def profiled_deviance_dense(X: Any, Z: Any, y: Any, Lambda: Any, method: str = "ML") -> float:
    """The profiled deviance or REML criterion, Chapter 16, eqs. ``ch16-deviance`` and ``ch16-reml``.

    .. math::

        d(\\theta) = \\log|L_\\theta|^2 + n\\,[1 + \\log(2\\pi r^2(\\theta)/n)],

        d_R(\\theta) = \\log|L_\\theta|^2 + \\log|R_X|^2
            + (n-p)\\,[1 + \\log(2\\pi r^2(\\theta)/(n-p))].

    ``d(theta)`` is ``-2`` times the Gaussian log-likelihood maximised over
    ``beta`` and ``sigma^2`` at fixed ``theta``; ``d_R`` is ``-2`` times the
    restricted log-likelihood (lme4's convention, as
    :func:`lmmtext.likelihood.loglik_reml`).

    Parameters
    ----------
    X, Z, y, Lambda
        As :func:`pls_dense`.
    method : {"ML", "REML"}, default "ML"

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`pls_dense`; an unknown ``method``; ``p >= n`` for REML; data
        fitted exactly (``r^2 = 0``).
    TypeError
        On non-numeric input or a ``method`` that is not a string.

    Examples
    --------
    At ``Lambda = 0`` the model is ordinary regression: ``n [1 + log(2 pi RSS / n)]``.

    >>> import numpy as np
    >>> y = np.array([1.0, 3.0, 2.0, 6.0]); X = np.ones((4, 1))
    >>> Z = np.kron(np.eye(2), np.ones((2, 1)))
    >>> rss = float(np.sum((y - y.mean()) ** 2))
    >>> bool(np.isclose(profiled_deviance_dense(X, Z, y, np.zeros((2, 2))),
    ...                 4 * (1 + np.log(2 * np.pi * rss / 4))))
    True
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be 'ML' or 'REML', got {type(method).__name__}")
    if method.upper() not in ("ML", "REML"):
        raise ValueError(f"method must be 'ML' or 'REML', got {method!r}")
    reml = method.upper() == "REML"
    X, Z, y, Lambda = _check_xzy(X, Z, y, Lambda)
    n, p = X.shape
    if reml and p >= n:
        raise ValueError(f"REML needs p < n: X has {p} columns and y only {n} observations")
    sol = pls_dense(X, Z, y, Lambda)
    if sol.pwrss <= 0:
        raise ValueError("the data are fitted exactly (r^2 = 0): sigma^2 cannot be profiled out")
    df = n - p if reml else n
    d = sol.logdet_L + df * (1.0 + np.log(2.0 * np.pi * sol.pwrss / df))
    return float(d + sol.logdet_RX) if reml else float(d)
