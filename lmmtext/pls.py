"""Penalised least squares and the profiled deviance: the computing core of every fit (Chapter 16).

The model ``y = X beta + Z Lambda_theta u + e`` with spherical ``u ~ N(0, sigma^2 I)``
and ``e ~ N(0, sigma^2 I)`` (Bates, Maechler, Bolker & Walker 2015, eqs. 2-4).  For
a given ``theta`` the Cholesky factor of the penalised system (Chapter 16, eqs.
``ch16-pls`` and ``ch16-chol``)

.. math::

    \\begin{pmatrix} \\Lambda'Z'Z\\Lambda + I & \\Lambda'Z'X & \\Lambda'Z'y \\\\
                     X'Z\\Lambda & X'X & X'y \\\\ y'Z\\Lambda & y'X & y'y \\end{pmatrix}
    = L L'

holds everything the likelihood needs: ``L_theta`` (the random-effects rows),
``R_X'`` (the ``X`` rows) and, in its last diagonal element, the square root of the
penalised residual sum of squares ``r^2_theta``.  With ``beta`` and ``sigma^2``
profiled out (Chapter 16, eqs. ``ch16-deviance`` and ``ch16-reml``; Bates et al. 2015,
eqs. 34 and 41)

.. math::

    d(\\theta) = \\log|L_\\theta|^2 + n\\,[1 + \\log(2\\pi r^2_\\theta / n)], \\qquad
    d_R(\\theta) = \\log|L_\\theta|^2 + \\log|R_X|^2 + (n-p)\\,[1 + \\log(2\\pi r^2_\\theta/(n-p))].

The factorisation is *blocked*, as in MixedModels.jl: one block per random-effects
term, then one for ``[X y]``.  The first term is chosen so that its block of
``Z'Z`` is block diagonal (diagonal for a scalar term, ``s x s`` blocks for a vector
term); it is factored level by level and the blocks below it stay sparse.  The
remaining blocks (few columns in the designs of this book) are dense.  All
products ``Z_i'Z_j``, ``Z'X``, ``X'X`` are formed once; an evaluation of the
objective never touches the ``n`` observations.

For small models (``q + p + 1 <=`` :data:`DENSE_CRITERION_MAX`) the same criterion
is computed from one dense Cholesky factor, together with its exact gradient.

:func:`optimize_theta` minimises the criterion by L-BFGS over all of ``theta`` (a
column of ``T_k`` and its negative give the same covariance, so every face of the
boundary is an ordinary point of the search), polishes the optimum with Newton
steps, and checks the gradient and Hessian there as lme4 does; the result is an
:class:`OptSummary`.  :func:`boundary_description` says in words which variance or
correlation of a singular fit is on the boundary.  Used by :func:`lmmtext.lmm.lmm`
and :func:`lmmtext.varcomp.fit_varcomp`.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.optimize
import scipy.sparse

from threadpoolctl import ThreadpoolController

from .remat import ReMat

__all__ = ["PLS", "PLSSolution", "OptSummary", "boundary_description", "optimize_theta",
           "single_threaded_blas"]

#: A diagonal element of ``T`` below this is reported as singular (lme4's ``isSingular`` tol).
SINGULAR_TOL = 1e-4
#: Blocks below the first term with at most this many entries are stored dense.
DENSE_MAX = 200_000
#: Largest ``q + p + 1`` for which the criterion is computed densely, with its exact gradient.
DENSE_CRITERION_MAX = 128
#: Largest ``n q`` for which the dense criterion forms ``Z`` as a dense array.
DENSE_Z_MAX = 2_000_000
#: Largest number of precomputed products kept for one pair of sparse blocks.
GRAM_MAX = 20_000_000


@cache
def _threadpools() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (inspected once: ~2 ms, then ~25 us per limit)."""
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed code with one BLAS thread (Chapter 16, "How ``lmm`` fits a model").

    A small fit gains nothing from a second BLAS thread, and OpenBLAS threads that
    spin while waiting for work doubled the CPU time of a small fit for no speed-up.
    """
    with _threadpools().limit(limits=1, user_api="blas"):
        yield


def _dense(M: Any) -> np.ndarray:
    return M.toarray() if scipy.sparse.issparse(M) else M


def _sparse_or_dense(M: scipy.sparse.sparray) -> Any:
    """Keep a block below the first term sparse only if it is large and mostly zero."""
    rows, cols = M.shape
    if rows * cols <= DENSE_MAX or M.nnz > 0.1 * rows * cols:
        return M.toarray()
    return scipy.sparse.csr_array(M)


def _blockdiag(blocks: np.ndarray) -> scipy.sparse.csr_array:
    """Sparse block-diagonal matrix from an ``(l, s, s)`` array of blocks."""
    n_blocks, s, _ = blocks.shape
    if s == 1:
        return scipy.sparse.diags_array(blocks[:, 0, 0]).tocsr()
    bsr = scipy.sparse.bsr_array(
        (blocks, np.arange(n_blocks), np.arange(n_blocks + 1)), shape=(n_blocks * s, n_blocks * s)
    )
    return bsr.tocsr()


def _rmul_blocks(M: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """``M B`` for a dense ``M`` and block-diagonal ``B`` given as an ``(l, s, s)`` array."""
    n_blocks, s, _ = blocks.shape
    if s == 1:
        return M * blocks[:, 0, 0]
    m = M.shape[0]
    return np.einsum("rls,lst->rlt", M.reshape(m, n_blocks, s), blocks).reshape(m, -1)


def _rmul_lambda(M: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``M (I (x) T)`` for a dense ``M`` whose columns are level-major."""
    s = T.shape[0]
    if s == 1:
        return M * T[0, 0]
    m = M.shape[0]
    return (M.reshape(m, -1, s) @ T).reshape(m, -1)


def _lmul_lambda_t(T: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``(I (x) T)' M`` for a dense ``M`` whose rows are level-major."""
    return _rmul_lambda(M.T, T).T


def _sandwich(Ti: np.ndarray | None, M: np.ndarray, Tj: np.ndarray) -> np.ndarray:
    """``Lambda_i' M Lambda_j`` as a new C-contiguous array (``Ti=None``: ``Lambda_i = I``)."""
    if Ti is None:
        return np.ascontiguousarray(_rmul_lambda(M, Tj))
    if Ti.shape[0] == 1 and Tj.shape[0] == 1:
        return np.multiply(M, Ti[0, 0] * Tj[0, 0], order="C")
    return np.ascontiguousarray(_lmul_lambda_t(Ti, _rmul_lambda(M, Tj)))


def _solve_right_lower_t(C: np.ndarray, Lc: np.ndarray) -> np.ndarray:
    """``C Lc^{-T}`` for lower-triangular ``Lc`` (BLAS ``dtrsm`` on ``Lc'``, no copy of ``Lc``)."""
    return scipy.linalg.blas.dtrsm(1.0, Lc.T, C, side=1, lower=0, trans_a=0)


class _WeightedGram:
    """``A_i diag(w) A_j'`` for fixed sparse ``A_i``, ``A_j`` and a weight per first-term level.

    Below a scalar first term, ``L_i0 L_j0' = Lambda_i' A_i0 diag(m^2) A_j0' Lambda_j``
    where ``A_i0 = Z_i'Z_0``.  Every product of a nonzero of column ``k`` of ``A_i0``
    with one of column ``k`` of ``A_j0`` is formed once here; an evaluation is then
    one sparse matrix-vector product instead of a sparse matrix-matrix product (the
    symbolic part of the product is done once, as in a sparse Cholesky's analysis phase).
    """

    def __init__(self, Ai: scipy.sparse.csr_array, Aj: scipy.sparse.csr_array, n_pairs: int) -> None:
        Ai, Aj = Ai.tocsc(), Aj.tocsc()
        ci, cj = np.diff(Ai.indptr), np.diff(Aj.indptr)
        per_col = ci * cj
        col = np.repeat(np.arange(per_col.size), per_col)
        offset = np.arange(n_pairs) - np.repeat(np.cumsum(per_col) - per_col, per_col)
        ia = Ai.indptr[col] + offset // cj[col]
        jb = Aj.indptr[col] + offset % cj[col]
        self.shape = (Ai.shape[0], Aj.shape[0])
        flat = Ai.indices[ia].astype(np.int64) * self.shape[1] + Aj.indices[jb]
        self.index, row = np.unique(flat, return_inverse=True)
        # P[r, k]: the sum over level k of the products landing on entry index[r].
        self.P = scipy.sparse.csr_array(
            (Ai.data[ia] * Aj.data[jb], (row, col)), shape=(self.index.size, per_col.size)
        )

    @staticmethod
    def n_pairs(Ai: scipy.sparse.sparray, Aj: scipy.sparse.sparray) -> int:
        return int(np.sum(np.diff(Ai.tocsc().indptr) * np.diff(Aj.tocsc().indptr)))

    def subtract_from(self, C: np.ndarray, w: np.ndarray) -> None:
        """``C -= A_i diag(w) A_j'`` in place; ``C`` must be C-contiguous."""
        if not C.flags.c_contiguous:
            raise ValueError("internal error: C must be C-contiguous")
        C.reshape(-1)[self.index] -= self.P @ w

    def dense(self, w: np.ndarray) -> np.ndarray:
        """``A_i diag(w) A_j'`` as a dense array."""
        out = np.zeros(self.shape[0] * self.shape[1])
        out[self.index] = self.P @ w
        return out.reshape(self.shape)


class _DenseCriterion:
    """The criterion and its exact gradient from one dense Cholesky factor, for small ``q``.

    With ``W = [Z X y]``, ``G = W'W`` (formed once) and ``D = diag(Lambda, I_{p+1})``,

    .. math::

        F(\\theta) = D'GD + \\mathrm{diag}(I_q, 0) = L L'

    is the matrix of Chapter 16, eq. ``ch16-chol``, unblocked.  Its leading blocks of
    size ``q``, ``q + p`` and ``q + p + 1`` have determinants ``|L_theta|^2``,
    ``|L_theta|^2 |R_X|^2`` and ``|L_theta|^2 |R_X|^2 r^2_theta``, so the criterion
    is a combination of three log-determinants, and so is its gradient, by
    ``d log|F_m| = tr(F_m^{-1} dF_m) = 2 tr(F_m^{-1} (D'G)_m dD_m)`` (``F_m`` the
    leading ``m x m`` block).  ``dD / dtheta_k`` is 1 where ``theta_k`` sits in
    ``Lambda`` and 0 elsewhere, so each trace is a sum of entries of
    ``F_m^{-1} (D'G)_{m, :q}``, obtained from the one factor ``L`` by
    triangular solves (one shared, one per ``m``).  An evaluation costs ``O(q^3)``: used when
    ``q + p + 1 <=`` :data:`DENSE_CRITERION_MAX`, where it is several times faster
    than the blocked factorisation with finite differences.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, terms: list[ReMat]) -> None:
        self.q, self.p = sum(t.q for t in terms), X.shape[1]
        if X.shape[0] * self.q <= DENSE_Z_MAX:
            # A few dense products cost less than the overhead of sparse ones at this size.
            full = np.column_stack([t.Z.toarray() for t in terms] + [X, y])
            self.G = full.T @ full
        else:
            W = np.column_stack([X, y])
            Z = scipy.sparse.hstack([t.Z for t in terms]).tocsc()
            ZtW = np.asarray(Z.T @ W)
            G = np.empty((self.q + W.shape[1],) * 2)
            G[: self.q, : self.q] = _dense(Z.T @ Z)
            G[: self.q, self.q:] = ZtW
            G[self.q:, : self.q] = ZtW.T
            G[self.q:, self.q:] = W.T @ W
            self.G = G
        # Where each theta_k sits in Lambda: rows, columns and the index k.
        rows, cols, index, offset, k0 = [], [], [], 0, 0
        for t in terms:
            tri_rows, tri_cols = t._tril
            s = t.n_cols
            base = offset + s * np.arange(t.n_levels)[:, None]
            rows.append((base + tri_rows).ravel())
            cols.append((base + tri_cols).ravel())
            index.append(np.tile(k0 + np.arange(tri_rows.size), t.n_levels))
            offset += t.q
            k0 += tri_rows.size
        self.rows, self.cols, self.index = np.concatenate(rows), np.concatenate(cols), np.concatenate(index)
        self.n_theta = k0

    def _lambda(self, theta: np.ndarray) -> np.ndarray:
        lam = np.zeros((self.q, self.q))
        lam[self.rows, self.cols] = theta[self.index]
        return lam

    def factor(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``L`` and ``(D'G)_{:, :q}``; raises ``LinAlgError`` if ``F`` is not positive definite."""
        q = self.q
        lam = self._lambda(theta)
        F = self.G.copy()
        F[:q] = lam.T @ F[:q]
        DGq = F[:, :q].copy()
        F[:, :q] = DGq @ lam
        F[np.arange(q), np.arange(q)] += 1.0
        # LAPACK directly: numpy's and scipy's wrappers cost more than the work at this size.
        L, info = scipy.linalg.lapack.dpotrf(F, lower=1, clean=1)
        if info != 0:
            raise np.linalg.LinAlgError("the penalised system is not positive definite")
        return L, DGq

    def log_determinants(self, L: np.ndarray) -> tuple[float, float, float]:
        """``log|L_theta|^2``, ``log|R_X|^2`` and ``r^2_theta`` from the factor."""
        q, p = self.q, self.p
        d = np.diagonal(L)
        return float(2.0 * np.log(d[:q]).sum()), float(2.0 * np.log(d[q:q + p]).sum()), float(d[-1] ** 2)

    def gradient_log_det(self, L: np.ndarray, DGq: np.ndarray, sizes: tuple[int, ...]) -> list[np.ndarray]:
        """The gradients of ``log|F_m|`` for each ``m`` in ``sizes``."""
        Y, _ = scipy.linalg.lapack.dtrtrs(L, DGq, lower=1)
        out = []
        for m in sizes:
            Qm, _ = scipy.linalg.lapack.dtrtrs(L[:m, :m], Y[:m], lower=1, trans=1)
            entries = Qm[self.cols, self.rows]
            out.append(2.0 * np.bincount(self.index, weights=entries, minlength=self.n_theta))
        return out


def criterion(logdet_L: float, logdet_RX: float, pwrss: float, n: int, p: int, reml: bool) -> float:
    """``d(theta)`` or ``d_R(theta)`` from ``log|L_theta|^2``, ``log|R_X|^2`` and ``r^2_theta``.

    Chapter 16, eqs. ``ch16-deviance`` and ``ch16-reml``; ``inf`` when ``r^2_theta <= 0``.
    """
    if not pwrss > 0:
        return np.inf
    df = n - p if reml else n
    d = logdet_L + df * (1.0 + np.log(2.0 * np.pi * pwrss / df))
    return float(d + logdet_RX) if reml else float(d)


@dataclass(frozen=True)
class PLSSolution:
    """The penalised least-squares solution at one ``theta`` (terms in the caller's order)."""

    theta: np.ndarray
    beta: np.ndarray
    beta_cov_unscaled: np.ndarray
    u: list[np.ndarray]
    b: list[np.ndarray]
    pwrss: float
    logdet_L: float
    logdet_RX: float
    sigma2: float
    objective: float
    fitted: np.ndarray


@dataclass
class _Factor:
    L: dict[tuple[int, int], Any] = field(default_factory=dict)
    logdet_L: float = 0.0


class PLS:
    """The penalised least-squares system of ``y``, ``X`` and random-effects ``terms``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Fixed-effects matrix, full column rank (validated by the caller).
    y : ndarray of shape (n,)
    terms : list of ReMat
        The random-effects terms, in the caller's order; ``theta`` is the
        concatenation of the terms' parameters in this order.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, terms: list[ReMat]) -> None:
        with single_threaded_blas():
            self._build(X, y, terms)

    def _build(self, X: np.ndarray, y: np.ndarray, terms: list[ReMat]) -> None:
        self.X, self.y, self.terms = X, y, terms
        self.n, self.p = X.shape
        sizes = [t.n_theta for t in terms]
        self._theta_slices = np.split(np.arange(sum(sizes)), np.cumsum(sizes)[:-1])
        # The criterion and u are unchanged when y is replaced by y - X beta_0 (beta absorbs
        # X beta_0).  With beta_0 the least-squares fit, r^2_theta is no longer the small
        # difference of two large numbers (y'y and the fitted sum of squares), which made the
        # criterion noisy in its ninth digit when the response is far from 0 (Oxboys' heights).
        self._beta_ols = scipy.linalg.lstsq(X, y)[0]
        q_total = sum(t.q for t in terms)
        self._dense_criterion = (
            _DenseCriterion(X, y - X @ self._beta_ols, terms)
            if terms and q_total + self.p + 1 <= DENSE_CRITERION_MAX else None
        )
        if self._dense_criterion is None:
            self._build_blocked(X, y, terms)

    def _build_blocked(self, X: np.ndarray, y: np.ndarray, terms: list[ReMat]) -> None:
        """The blocks of ``A = [Z X y]'[Z X y]`` in the order of the blocked factorisation."""
        ZtZ = [(t.Z.T @ t.Z).tocoo() for t in terms]
        block_diag = [
            bool(np.all(Zc.row // t.n_cols == Zc.col // t.n_cols)) for t, Zc in zip(terms, ZtZ)
        ]
        # Internal order: a block-diagonal term first (the largest), the rest by decreasing size.
        order = sorted(range(len(terms)), key=lambda k: (not block_diag[k], -terms[k].q))
        self._order = order
        self._special = bool(terms) and block_diag[order[0]]
        W = np.column_stack([X, y - X @ self._beta_ols])
        Zs = [terms[k].Z for k in order]
        K = len(Zs)
        self._K = K
        A: dict[tuple[int, int], Any] = {}
        for i in range(K + 1):
            Zi_t = W.T if i == K else Zs[i].T
            for j in range(i + 1):
                if i == K and j == K:
                    A[i, j] = W.T @ W
                elif j == 0 and self._special:
                    if i == 0:
                        A[0, 0] = self._diag_blocks(ZtZ[order[0]], terms[order[0]])
                    elif i == K:
                        A[i, j] = np.asarray((Zs[0].T @ W).T)
                    else:
                        A[i, j] = _sparse_or_dense(Zi_t @ Zs[0])
                elif i == K:
                    A[i, j] = np.asarray((Zs[j].T @ W).T)
                else:
                    A[i, j] = np.ascontiguousarray(_dense(Zi_t @ Zs[j]))
        self._A = A
        # Precomputed products for sparse blocks below a scalar first term.
        self._gram: dict[tuple[int, int], _WeightedGram] = {}
        if self._special and terms[order[0]].n_cols == 1:
            for i in range(1, K):
                for j in range(1, i + 1):
                    if scipy.sparse.issparse(A[i, 0]) and scipy.sparse.issparse(A[j, 0]):
                        n_pairs = _WeightedGram.n_pairs(A[i, 0], A[j, 0])
                        if n_pairs <= GRAM_MAX:
                            self._gram[i, j] = _WeightedGram(A[i, 0], A[j, 0], n_pairs)

    @staticmethod
    def _diag_blocks(ZtZ: scipy.sparse.coo_array, term: ReMat) -> np.ndarray:
        s = term.n_cols
        blocks = np.zeros((term.n_levels, s, s))
        blocks[ZtZ.row // s, ZtZ.row % s, ZtZ.col % s] = ZtZ.data
        return blocks

    # -- theta ---------------------------------------------------------------------------
    def theta_start(self) -> np.ndarray:
        return np.concatenate([t.theta_start() for t in self.terms])

    def theta_lower(self) -> np.ndarray:
        return np.concatenate([t.theta_lower() for t in self.terms])

    def diagonal_mask(self) -> np.ndarray:
        return np.concatenate([t.diagonal_mask() for t in self.terms])

    def term_theta(self, theta: np.ndarray) -> list[np.ndarray]:
        """Split ``theta`` into the terms' parts (caller's order)."""
        return [theta[sl] for sl in self._theta_slices]

    # -- factorisation -------------------------------------------------------------------
    def _factor(self, theta: np.ndarray) -> _Factor:
        """The blocked Cholesky factor ``L`` at ``theta`` and ``log|L_theta|^2``."""
        Ts = [self.terms[k].lambda_factor(theta[self._theta_slices[k]]) for k in self._order]
        A, K = self._A, self._K
        w0 = None
        f = _Factor()
        L = f.L
        start = 0
        if self._special:
            T = Ts[0]
            s = T.shape[0]
            L0 = np.linalg.cholesky(T.T @ A[0, 0] @ T + np.eye(s))
            f.logdet_L += 2.0 * np.log(np.diagonal(L0, axis1=1, axis2=2)).sum()
            L[0, 0] = L0
            # M = T L0^{-T}, level by level, so that L_i0 = Lambda_i' A_i0 M.
            M = np.swapaxes(np.linalg.solve(L0, np.broadcast_to(T.T, L0.shape)), 1, 2)
            w0 = M[:, 0, 0] ** 2 if s == 1 else None
            M_sp = None
            for i in range(1, K + 1):
                Ai0 = A[i, 0]
                if scipy.sparse.issparse(Ai0):
                    if M_sp is None:
                        M_sp = _blockdiag(M)
                    Li0 = Ai0 @ M_sp
                    Ti = Ts[i]
                    if Ti.shape[0] == 1:
                        Li0 = Li0 * Ti[0, 0]
                    else:
                        n_levels = self.terms[self._order[i]].n_levels
                        Li0 = _blockdiag(np.broadcast_to(Ti.T, (n_levels,) + Ti.shape)) @ Li0
                else:
                    Li0 = _rmul_blocks(Ai0, M)
                    if i < K:
                        Li0 = _lmul_lambda_t(Ts[i], Li0)
                L[i, 0] = Li0
            start = 1
        for j in range(start, K + 1):
            if j < K:
                C = _sandwich(Ts[j], A[j, j], Ts[j])
                C[np.diag_indices_from(C)] += 1.0
            else:
                C = A[K, K].copy()
            for k in range(j):
                self._subtract_product(C, L, Ts, w0, j, j, k)
            Ljj = np.linalg.cholesky(C)
            L[j, j] = Ljj
            if j < K:
                f.logdet_L += 2.0 * np.log(np.diag(Ljj)).sum()
            for i in range(j + 1, K + 1):
                C = _sandwich(Ts[i] if i < K else None, A[i, j], Ts[j])
                for k in range(j):
                    self._subtract_product(C, L, Ts, w0, i, j, k)
                L[i, j] = _solve_right_lower_t(C, Ljj)
        return f

    def _subtract_product(
        self, C: np.ndarray, L: dict, Ts: list[np.ndarray], w0: np.ndarray | None,
        i: int, j: int, k: int,
    ) -> None:
        """``C -= L_ik L_jk'`` in place (``C`` C-contiguous)."""
        gram = self._gram.get((i, j)) if k == 0 else None
        if gram is None:
            C -= _dense(L[i, k] @ L[j, k].T)
        elif Ts[i].shape[0] == 1 and Ts[j].shape[0] == 1:
            gram.subtract_from(C, w0 * (Ts[i][0, 0] * Ts[j][0, 0]))
        else:
            C -= _sandwich(Ts[i], gram.dense(w0), Ts[j])

    def _profile(self, f: _Factor) -> tuple[float, float]:
        LF = f.L[self._K, self._K]
        p = self.p
        pwrss = float(LF[p, p] ** 2)
        logdet_RX = float(2.0 * np.log(np.diag(LF)[:p]).sum())
        return pwrss, logdet_RX

    def objective(self, theta: np.ndarray, reml: bool) -> float:
        """The profiled deviance ``d(theta)`` (ML) or REML criterion ``d_R(theta)``."""
        try:
            if self._dense_criterion is not None:
                L, _ = self._dense_criterion.factor(theta)
                logdet_L, logdet_RX, pwrss = self._dense_criterion.log_determinants(L)
                return self._criterion(logdet_L, logdet_RX, pwrss, reml)
            f = self._factor(theta)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            return np.inf
        pwrss, logdet_RX = self._profile(f)
        return self._criterion(f.logdet_L, logdet_RX, pwrss, reml)

    @property
    def has_gradient(self) -> bool:
        """Whether :meth:`objective_gradient` is exact (small ``q``, see :class:`_DenseCriterion`)."""
        return self._dense_criterion is not None

    def objective_gradient(self, theta: np.ndarray, reml: bool) -> tuple[float, np.ndarray]:
        """The criterion and its exact gradient over ``theta`` (only if :attr:`has_gradient`).

        ``d = log|F_q| + n log r^2 + c`` (ML) and ``d_R = log|F_{q+p}| + (n - p) log r^2 + c``
        (REML), with ``log r^2 = log|F| - log|F_{q+p}|`` (:class:`_DenseCriterion`).
        """
        dense = self._dense_criterion
        if dense is None:
            raise ValueError("internal error: no exact gradient for a system this large")
        try:
            L, DGq = dense.factor(theta)
        except np.linalg.LinAlgError:  # rounding at extreme theta; the line search steps back
            return np.inf, np.zeros(theta.size)
        logdet_L, logdet_RX, pwrss = dense.log_determinants(L)
        q, size = dense.q, L.shape[0]
        if reml:
            g_qp, g_all = dense.gradient_log_det(L, DGq, (q + self.p, size))
            gradient = g_qp + (self.n - self.p) * (g_all - g_qp)
        else:
            g_q, g_qp, g_all = dense.gradient_log_det(L, DGq, (q, q + self.p, size))
            gradient = g_q + self.n * (g_all - g_qp)
        return self._criterion(logdet_L, logdet_RX, pwrss, reml), gradient

    def _criterion(self, logdet_L: float, logdet_RX: float, pwrss: float, reml: bool) -> float:
        return criterion(logdet_L, logdet_RX, pwrss, self.n, self.p, reml)

    def solve(self, theta: np.ndarray, reml: bool) -> PLSSolution:
        """``beta``, the spherical ``u``, the random effects ``b = Lambda u`` and the criterion."""
        with single_threaded_blas():
            if self._dense_criterion is not None:
                return self._solve_dense(theta, reml)
            return self._solve(theta, reml)

    def _solve_dense(self, theta: np.ndarray, reml: bool) -> PLSSolution:
        """:meth:`solve` from the dense factor of :class:`_DenseCriterion`.

        With ``L = [[L_O, 0], [l', r]]`` the factor of ``[[O, c], [c', y'y]]``, the
        penalised normal equations ``O (u, beta) = c`` are solved by ``L_O' (u, beta) = l``.
        """
        dense = self._dense_criterion
        L, _ = dense.factor(theta)
        logdet_L, logdet_RX, pwrss = dense.log_determinants(L)
        q, p = dense.q, self.p
        x = scipy.linalg.solve_triangular(L[:q + p, :q + p], L[-1, :q + p], lower=True, trans="T")
        beta = x[q:] + self._beta_ols
        Lxx_inv = scipy.linalg.solve_triangular(L[q:q + p, q:q + p], np.eye(p), lower=True)
        u = np.split(x[:q], np.cumsum([t.q for t in self.terms])[:-1])
        b = []
        fitted = self.X @ beta
        for term, th, uk in zip(self.terms, self.term_theta(theta), u):
            T = term.lambda_factor(th)
            b.append((uk.reshape(-1, T.shape[0]) @ T.T).ravel())
            fitted = fitted + term.Z @ b[-1]
        df = self.n - self.p if reml else self.n
        return PLSSolution(
            theta=theta, beta=beta, beta_cov_unscaled=Lxx_inv.T @ Lxx_inv, u=u, b=b,
            pwrss=pwrss, logdet_L=logdet_L, logdet_RX=logdet_RX, sigma2=pwrss / df,
            objective=self._criterion(logdet_L, logdet_RX, pwrss, reml), fitted=fitted,
        )

    def _solve(self, theta: np.ndarray, reml: bool) -> PLSSolution:
        f = self._factor(theta)
        L, K, p = f.L, self._K, self.p
        LF = L[K, K]
        pwrss, logdet_RX = self._profile(f)
        Lxx = LF[:p, :p]
        beta_shift = scipy.linalg.solve_triangular(Lxx.T, LF[p, :p], lower=False)
        Lxx_inv = scipy.linalg.solve_triangular(Lxx, np.eye(p), lower=True)
        # Back-substitution L_RR' u = c_u - L_XR' beta, block by block from the last term.
        u: list[np.ndarray] = [np.empty(0)] * K
        for k in range(K - 1, -1, -1):
            LFk = L[K, k]
            rhs = LFk[p] - LFk[:p].T @ beta_shift
            for i in range(k + 1, K):
                rhs = rhs - L[i, k].T @ u[i]
            if k == 0 and self._special:
                L0 = L[0, 0]
                s = L0.shape[1]
                u[0] = np.linalg.solve(np.swapaxes(L0, 1, 2), rhs.reshape(-1, s, 1)).ravel()
            else:
                u[k] = scipy.linalg.solve_triangular(L[k, k].T, rhs, lower=False)
        Ts = [self.terms[k].lambda_factor(theta[self._theta_slices[k]]) for k in self._order]
        b_internal = [(uk.reshape(-1, T.shape[0]) @ T.T).ravel() for uk, T in zip(u, Ts)]
        beta = beta_shift + self._beta_ols
        fitted = self.X @ beta
        for k, bk in zip(self._order, b_internal):
            fitted = fitted + self.terms[k].Z @ bk
        df = self.n - self.p if reml else self.n
        u_user: list[np.ndarray] = [np.empty(0)] * K
        b_user: list[np.ndarray] = [np.empty(0)] * K
        for pos, k in enumerate(self._order):
            u_user[k], b_user[k] = u[pos], b_internal[pos]
        return PLSSolution(
            theta=theta, beta=beta, beta_cov_unscaled=Lxx_inv.T @ Lxx_inv, u=u_user, b=b_user,
            pwrss=pwrss, logdet_L=f.logdet_L, logdet_RX=logdet_RX, sigma2=pwrss / df,
            objective=self._criterion(f.logdet_L, logdet_RX, pwrss, reml), fitted=fitted,
        )


@dataclass(frozen=True)
class OptSummary:
    """What the optimiser did and how close to the optimum it ended (MixedModels.jl's ``optsummary``).

    The convergence record follows lme4's ``checkConv`` (Chapter 16, "How ``lmm``
    fits a model"): the gradient of the criterion at ``theta_final`` (exact for
    small models, else by central differences) and its Hessian (by differences of
    the gradient or of the criterion).  ``lower`` and ``upper`` are lme4's bounds
    (0 for the diagonal of each ``T_k``).  The bound on a diagonal element is not
    a constraint on the model, only a choice of sign: ``Sigma_k = sigma^2 T_k T_k'``
    does not change when a column of ``T_k`` changes sign, so the optimiser works
    over all of ``R^m`` and returns the representative with a nonnegative
    diagonal.  No component is therefore held at a bound, and the projected
    gradient is the whole gradient: a diagonal element at 0 whose derivative is
    not 0 is not an optimum, because the same covariance with that column's sign
    flipped has a descent direction into the interior.  The exception is a fit
    on a face of the boundary found by the face search of :func:`optimize_theta`
    (``free`` is then not all True): the diagonal elements held at 0 there are
    left out of the gradient and the Hessian.

    Attributes
    ----------
    gradient : ndarray
        The (projected) gradient of the criterion at ``theta_final`` over the free
        parameters (``free``).
    hessian : ndarray
        Its Hessian there, over the free parameters.
    hessian_min_eigenvalue : float
        The Hessian's smallest eigenvalue; the check fails below ``-HESS_TOL``.
    scaled_gradient : float
        ``sqrt(g' H^{-1} g)``, the length of the gradient scaled by the Hessian
        (lme4 checks the largest component of ``R^{-T} g`` with ``R'R = H``, whose
        norm this is).  Half its square estimates how far the criterion is above
        the optimum, an absolute distance on the deviance scale that does not grow
        with ``n``; the check fails above :data:`GRAD_TOL`.
    converged : bool
        Whether both checks pass.
    message : str
        What the checks found, in words; when one fails, what to try.
    n_restarts : int
        How often the quasi-Newton phase was restarted from a saddle point.
    n_newton : int
        Newton steps taken after the quasi-Newton phase.
    """

    theta_start: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    theta_final: np.ndarray
    objective_final: float
    n_evaluations: int
    n_restarts: int
    optimizer: str
    converged: bool
    message: str
    criterion: str
    gradient: np.ndarray
    hessian: np.ndarray
    hessian_min_eigenvalue: float
    scaled_gradient: float
    n_newton: int
    free: np.ndarray


#: Largest ``sqrt(g' H^{-1} g)`` accepted as converged: the criterion is then within
#: ``GRAD_TOL**2 / 2 = 5e-9`` of the optimum (lme4 accepts ``max |R^{-T} g|`` up to 2e-3).
GRAD_TOL = 1e-4
#: Smallest Hessian eigenvalue accepted as converged (lme4's ``check.conv.hess`` tolerance).
HESS_TOL = 1e-6
#: Relative step of the central differences: ``h_i = FD_STEP * max(|theta_i|, 0.1)``.
FD_STEP = 1e-4
#: Relative step of the central-difference gradient checked at the end (no exact gradient).
GRADIENT_STEP = 1e-5
#: Relative step of the forward differences of the quasi-Newton phase (no exact gradient).
FORWARD_STEP = 1e-7
#: Newton steps after the quasi-Newton phase, at most.
MAX_NEWTON = 6
#: Restarts from saddle points, at most.
MAX_RESTARTS = 5
#: A diagonal element below ``FACE_TOL * max(1, max |theta|)`` at a fit that fails the checks
#: is tried at 0 (each face of the boundary near the fit, see :func:`optimize_theta`).
FACE_TOL = 0.05
#: Steps along a direction of negative curvature tried at a saddle point.
SADDLE_STEPS = (1e-2, 1e-1, 0.5)


def _theta_columns(system: PLS) -> list[np.ndarray]:
    """Indices into ``theta`` of each column of each ``T_k``, the diagonal element first.

    ``theta`` holds the lower triangle column by column, so a column is a contiguous run.
    """
    columns, offset = [], 0
    for term in system.terms:
        s = term.n_cols
        for j in range(s):
            columns.append(np.arange(offset, offset + s - j))
            offset += s - j
    return columns


def _canonical(theta: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """The same covariance with every diagonal element of ``T`` nonnegative (column signs flipped)."""
    out = theta.copy()
    for col in columns:
        if out[col[0]] < 0:
            out[col] = -out[col]
    return out


def _fd_steps(theta: np.ndarray) -> np.ndarray:
    return FD_STEP * np.maximum(np.abs(theta), 0.1)


def _gradient(fun: Any, theta: np.ndarray, step: float = FD_STEP) -> np.ndarray:
    """Central-difference gradient (the criterion is known to ~1e-13 relative)."""
    h = step * np.maximum(np.abs(theta), 0.1)
    g = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = h[i]
        g[i] = (fun(theta + e) - fun(theta - e)) / (2.0 * h[i])
    return g


def _forward_gradient(fun: Any, theta: np.ndarray, value: float) -> np.ndarray:
    """Forward-difference gradient for the quasi-Newton phase (``m`` evaluations, not ``2 m``).

    Its error, about ``FORWARD_STEP`` relative, only slows the approach; the Newton
    phase that follows uses central differences.
    """
    h = FORWARD_STEP * np.maximum(np.abs(theta), 0.1)
    g = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = h[i]
        g[i] = (fun(theta + e) - value) / h[i]
    return g


def _derivatives(
    fun: Any, fg: Any, exact: bool, theta: np.ndarray, value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian at ``theta``.

    With an exact gradient ``fg``, the Hessian is its forward difference (``m + 1``
    calls for ``m`` parameters; relative error about ``FD_STEP``, which changes
    neither the Newton step's convergence nor the sign checks).  Without, both
    come from central differences of the criterion ``fun`` (``2 m^2 + 2 m``
    evaluations).
    """
    m = theta.size
    if m == 0:  # a face of the boundary with every component held: nothing is free
        return np.zeros(0), np.zeros((0, 0))
    h = _fd_steps(theta)
    steps = np.diag(h)
    if exact:
        g = fg(theta)[1]
        H = np.column_stack([(fg(theta + steps[i])[1] - g) / h[i] for i in range(m)])
        return g, (H + H.T) / 2.0
    plus = np.array([fun(theta + steps[i]) for i in range(m)])
    minus = np.array([fun(theta - steps[i]) for i in range(m)])
    H = np.diag((plus - 2.0 * value + minus) / h**2)
    g = _gradient(fun, theta, GRADIENT_STEP)
    for i in range(m):
        for j in range(i):
            pp = fun(theta + steps[i] + steps[j])
            pm = fun(theta + steps[i] - steps[j])
            mp = fun(theta - steps[i] + steps[j])
            mm = fun(theta - steps[i] - steps[j])
            H[i, j] = H[j, i] = (pp - pm - mp + mm) / (4.0 * h[i] * h[j])
    return g, H


def _quasi_newton(fg: Any, x0: np.ndarray) -> tuple[np.ndarray, float]:
    """L-BFGS over all of ``theta`` (no bounds: see :class:`OptSummary`) to a relative change of 1e-10."""
    res = scipy.optimize.minimize(
        fg, x0, jac=True, method="L-BFGS-B",
        options={"ftol": 1e-10, "gtol": 1e-12, "maxls": 50, "maxiter": 1000},
    )
    return res.x.copy(), float(res.fun)


def _settle(
    fun: Any, theta: np.ndarray, value: float, columns: list[np.ndarray], diag: np.ndarray
) -> tuple[np.ndarray, float]:
    """Flip column signs to a nonnegative diagonal; set a diagonal element below
    :data:`SINGULAR_TOL` to exactly 0 when that does not raise the criterion."""
    theta = _canonical(theta, columns)
    for idx in np.flatnonzero(diag & (theta < SINGULAR_TOL) & (theta != 0)):
        trial = theta.copy()
        trial[idx] = 0.0
        trial_value = fun(trial)
        if trial_value <= value:
            theta, value = trial, trial_value
    return theta, value


def _newton_step(g: np.ndarray, H: np.ndarray) -> np.ndarray | None:
    """``-H^{-1} g`` by Cholesky, or ``None`` if ``H`` is not positive definite."""
    try:
        factor = scipy.linalg.cho_factor(H, lower=True)
    except np.linalg.LinAlgError:
        return None
    return -scipy.linalg.cho_solve(factor, g)


def _line_search(
    fun: Any, theta: np.ndarray, value: float, step: np.ndarray
) -> tuple[np.ndarray, float] | None:
    """The first of ``theta + step / 2^k`` (k = 0..9) that lowers the criterion, or ``None``."""
    t = 1.0
    for _ in range(10):
        trial = theta + t * step
        trial_value = fun(trial)
        if trial_value < value:
            return trial, trial_value
        t /= 2.0
    return None


def _leave_saddle(fun: Any, theta: np.ndarray, value: float, H: np.ndarray) -> np.ndarray | None:
    """A lower point along the eigenvector of ``H``'s most negative eigenvalue, or ``None``."""
    eigenvalues, vectors = np.linalg.eigh(H)
    if eigenvalues[0] >= -HESS_TOL:
        return None
    direction = vectors[:, 0]
    best, best_value = None, value
    scale = max(1.0, float(np.max(np.abs(theta))))
    for t in SADDLE_STEPS:
        for sign in (1.0, -1.0):
            trial = theta + sign * t * scale * direction
            trial_value = fun(trial)
            if trial_value < best_value:
                best, best_value = trial, trial_value
    return best


def _scaled_gradient(g: np.ndarray, H: np.ndarray) -> tuple[float, float]:
    """``sqrt(g' H^{-1} g)`` (eigenvalues below :data:`HESS_TOL` raised to it) and ``min eig H``.

    With nothing free (an empty ``H``) the gradient is 0 and the smallest eigenvalue ``inf``.
    """
    if H.size == 0:
        return 0.0, float("inf")
    eigenvalues, vectors = np.linalg.eigh(H)
    projected = vectors.T @ g
    scaled = float(np.sqrt(np.sum(projected**2 / np.maximum(eigenvalues, HESS_TOL))))
    return scaled, float(eigenvalues[0])


def _convergence_message(scaled: float, min_eigenvalue: float) -> tuple[bool, str]:
    """Both of lme4's checks, in words (Chapter 16, "How ``lmm`` fits a model")."""
    problems = []
    if not scaled <= GRAD_TOL:
        problems.append(
            f"the optimiser stopped where the criterion still falls (the gradient scaled by the "
            f"Hessian is {scaled:.2g}, more than {GRAD_TOL:g}), so the estimates may not be the optimum"
        )
    if not min_eigenvalue >= -HESS_TOL:
        problems.append(
            f"the criterion is not curved upwards in every direction at the estimates (the smallest "
            f"eigenvalue of its Hessian is {min_eigenvalue:.2g}): this is a saddle or a ridge, not a "
            "minimum, and the estimates are not determined by the data"
        )
    if not problems:
        return True, (f"converged: scaled gradient {scaled:.2g}, smallest Hessian eigenvalue "
                      f"{min_eigenvalue:.4g}")
    advice = ("Try rescaling covariates (centre them, or change their units so that their values are "
              "of order 1), simplifying the random effects (drop a correlation or a random slope), and "
              "checking for a singular fit.")
    return False, "The fit did not converge: " + "; and ".join(problems) + ". " + advice


def optimize_theta(system: PLS, reml: bool, start: np.ndarray | None = None) -> OptSummary:
    """Minimise the profiled deviance (ML) or REML criterion of ``system`` over ``theta``.

    Chapter 16, "How ``lmm`` fits a model".  Phases:

    1. L-BFGS from ``start`` (default ``T_k = I``, lme4's start; a refit, e.g. a
       bootstrap replicate, may start from the original fit's ``theta``) with the
       exact gradient where :attr:`PLS.has_gradient`, else forward differences,
       over all of ``R^m``: a column of ``T_k`` and its negative give the same
       covariance, so the lower bound on the diagonal is only a choice of sign
       (see :class:`OptSummary`).  Every face of the boundary (a zero variance,
       a correlation of +-1, any rank-deficient ``Sigma_k``) is then an ordinary
       point of the search, and a point where ``T_jj = 0`` with the "wrong" sign
       below it is no trap: the descent continues through ``T_jj < 0``.
    2. Flip column signs so that each diagonal element is nonnegative, and set a
       diagonal element below :data:`SINGULAR_TOL` to exactly 0 if that does
       not raise the criterion (a variance on the boundary is reported as 0).
    3. Newton steps (the exact gradient and its forward-difference Hessian, or
       central differences of the criterion for both) until the step is below
       ``1e-8`` (relative, or absolute near 0): the stopping rule
       does not loosen as the criterion grows with ``n``.  Where the Hessian has
       a negative eigenvalue (a saddle, e.g. ``theta_k = 0`` of a scalar term,
       where the gradient vanishes by symmetry although the optimum is inside),
       the search moves along its eigenvector and phase 1 restarts.
    4. Only if the checks then fail: each face of the boundary near the fit (the
       diagonal elements below :data:`FACE_TOL` held at 0, every subset of
       them) is searched by phases 1-3 over the other components, and the best
       face that passes the checks is kept.  At a corner such as
       ``T_11 = T_22 = 0`` (only a slope varies) the map from ``theta`` to
       ``Sigma`` is degenerate and Newton's method on all of ``theta`` crawls.

    The final gradient and Hessian are checked as in lme4 (:class:`OptSummary`).
    BLAS runs single-threaded: the blocks are small to medium, threads gain
    little on them, and on a busy machine OpenBLAS's spin-waiting threads made a
    3,000-observation crossed fit 50-100 times slower (measured on the book's
    2-core machines).

    Parameters
    ----------
    system : PLS
    reml : bool
        Minimise the REML criterion (else the ML deviance).
    start : ndarray, optional
        Starting ``theta``; default :meth:`PLS.theta_start`.

    Returns
    -------
    OptSummary
        ``theta_final``, ``objective_final``, the convergence checks and their message.
    """
    start = system.theta_start() if start is None else np.array(start, dtype=float)
    if start.shape != system.theta_start().shape:
        raise ValueError(f"start has shape {start.shape}, theta has {system.theta_start().shape}")
    lower = system.theta_lower()
    upper = np.full_like(lower, np.inf)
    diag = system.diagonal_mask()
    columns = _theta_columns(system)
    n_eval = 0

    def fun(theta: np.ndarray) -> float:
        nonlocal n_eval
        n_eval += 1
        return system.objective(theta, reml)

    exact = system.has_gradient

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal n_eval
        if exact:
            n_eval += 1
            return system.objective_gradient(theta, reml)
        value = fun(theta)
        return value, _forward_gradient(fun, theta, value)

    with single_threaded_blas():
        best = _search(fun, fg, exact, start, columns, diag, np.zeros(start.size, dtype=bool))
        if not best.converged:
            # A corner of the boundary (e.g. T_11 = T_22 = 0 at an optimum with only a slope
            # variance) is a degenerate point of theta-space: the criterion is quartic there
            # along T_22 and Newton's method crawls.  Search the faces it may be near instead.
            scale = max(1.0, float(np.max(np.abs(best.theta))))
            near = np.flatnonzero(diag & (np.abs(best.theta) < FACE_TOL * scale))
            for size in range(1, near.size + 1):
                for subset in itertools.combinations(near, size):
                    fixed = np.zeros(start.size, dtype=bool)
                    fixed[list(subset)] = True
                    face = _search(fun, fg, exact, best.theta, columns, diag, fixed)
                    if face.converged and face.value <= best.value:
                        best = face
    scaled, min_eigenvalue = _scaled_gradient(best.gradient, best.hessian)
    converged, message = _convergence_message(scaled, min_eigenvalue)
    return OptSummary(
        theta_start=start, lower=lower, upper=upper, theta_final=best.theta, objective_final=best.value,
        n_evaluations=n_eval, n_restarts=best.n_restarts, optimizer="L-BFGS + Newton",
        converged=converged, message=message, criterion="REML" if reml else "ML",
        gradient=best.gradient, hessian=best.hessian, hessian_min_eigenvalue=min_eigenvalue,
        scaled_gradient=scaled, n_newton=best.n_newton, free=~best.fixed,
    )


@dataclass(frozen=True)
class _SearchResult:
    theta: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    fixed: np.ndarray
    n_restarts: int
    n_newton: int

    @property
    def converged(self) -> bool:
        return _convergence_message(*_scaled_gradient(self.gradient, self.hessian))[0]


def _search(
    fun: Any, fg: Any, exact: bool, x0: np.ndarray, columns: list[np.ndarray], diag: np.ndarray,
    fixed: np.ndarray,
) -> _SearchResult:
    """Phases 1-3 of :func:`optimize_theta` over ``theta[~fixed]``, with ``theta[fixed] = 0``.

    ``fun`` is the criterion, ``fg`` its value and gradient (exact if ``exact``).  The
    gradient and Hessian returned are over the free components; a fixed component
    is a diagonal element of ``T`` at 0, where the gradient is 0 by the column-sign
    symmetry.
    """
    free = ~fixed

    def embed(v: np.ndarray) -> np.ndarray:
        theta = np.zeros(x0.size)
        theta[free] = v
        return theta

    def sub(v: np.ndarray) -> float:
        return fun(embed(v))

    def sub_fg(v: np.ndarray) -> tuple[float, np.ndarray]:
        value, g = fg(embed(v))
        return value, g[free]

    v, value = _quasi_newton(sub_fg, x0[free])
    n_restarts = n_newton = 0
    while True:
        theta, value = _settle(fun, embed(v), value, columns, diag & free)
        v = theta[free]
        g, H = _derivatives(sub, sub_fg, exact, v, value)
        step = _newton_step(g, H)
        if step is None:
            away = _leave_saddle(sub, v, value, H) if n_restarts < MAX_RESTARTS else None
            if away is None:
                break
            n_restarts += 1
            v, value = _quasi_newton(sub_fg, away)
            continue
        small = np.all(np.abs(step) <= 1e-8 * np.maximum(np.abs(v), 1.0))
        if small or n_newton >= MAX_NEWTON:
            break
        moved = _line_search(sub, v, value, step)
        if moved is None:
            break
        v, value = moved
        n_newton += 1
    return _SearchResult(theta=embed(v), value=value, gradient=g, hessian=H, fixed=fixed,
                         n_restarts=n_restarts, n_newton=n_newton)


def boundary_description(system: PLS, theta: np.ndarray) -> list[str]:
    """One plain sentence per variance or correlation of a singular fit that sits on the boundary.

    A diagonal element ``T_jj`` below :data:`SINGULAR_TOL` means that
    coefficient ``j`` of the term has (almost) no variance left once the
    coefficients before it are known (Chapter 16, eq. ``ch16-lambda``): its
    variance is 0, or it is perfectly correlated with one earlier coefficient,
    or it is an exact linear combination of several.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lmmtext.remat import ReMat
    >>> t = ReMat.from_factor("Subject", np.array([0, 0, 1, 1]), pd.Index(["a", "b"]),
    ...                       np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
    ...                       ("Intercept", "Days"))
    >>> system = PLS(np.ones((4, 1)), np.arange(4.0), [t])
    >>> boundary_description(system, np.array([0.5, -0.2, 0.0]))
    ['the correlation of Intercept and Days|Subject is estimated as -1']
    >>> boundary_description(system, np.array([0.5, 0.0, 0.0]))
    ['the variance of Days|Subject is estimated as 0']
    """
    sentences = []
    for term, th in zip(system.terms, system.term_theta(np.asarray(theta, dtype=float))):
        T = term.lambda_factor(th)
        sd = np.linalg.norm(T, axis=1)
        names = term.cnames
        for j in np.flatnonzero(np.abs(np.diag(T)) < SINGULAR_TOL):
            if sd[j] < SINGULAR_TOL:
                sentences.append(f"the variance of {names[j]}|{term.name} is estimated as 0")
                continue
            corr = (T[:j] @ T[j]) / (sd[:j] * sd[j] + np.finfo(float).tiny)
            partners = np.flatnonzero((sd[:j] >= SINGULAR_TOL) & (1.0 - np.abs(corr) < SINGULAR_TOL))
            if partners.size:
                i = partners[0]
                sentences.append(f"the correlation of {names[i]} and {names[j]}|{term.name} is "
                                 f"estimated as {int(np.sign(corr[i]))}")
            else:
                sentences.append(
                    f"{names[j]}|{term.name} is estimated as an exact linear combination of "
                    f"{', '.join(names[:j])}|{term.name} (the covariance matrix of the term is singular)"
                )
    return sentences
