"""Penalised least squares and the profiled deviance: the computing core of every fit (Chapter 11).

The model ``y = X beta + Z Lambda_theta u + e`` with spherical ``u ~ N(0, sigma^2 I)``
and ``e ~ N(0, sigma^2 I)`` (Bates, Maechler, Bolker & Walker 2015, eqs. 2-4).  For
a given ``theta`` the Cholesky factor of the penalised system (Chapter 11, eqs.
``ch11-pls`` and ``ch11-chol``)

.. math::

    \\begin{pmatrix} \\Lambda'Z'Z\\Lambda + I & \\Lambda'Z'X & \\Lambda'Z'y \\\\
                     X'Z\\Lambda & X'X & X'y \\\\ y'Z\\Lambda & y'X & y'y \\end{pmatrix}
    = L L'

holds everything the likelihood needs: ``L_theta`` (the random-effects rows),
``R_X'`` (the ``X`` rows) and, in its last diagonal element, the square root of the
penalised residual sum of squares ``r^2_theta``.  With ``beta`` and ``sigma^2``
profiled out (Chapter 11, eqs. ``ch11-deviance`` and ``ch11-reml``; Bates et al. 2015,
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

The optimiser is L-BFGS-B over ``theta`` with lower bound 0 on the diagonal of
each ``T_k`` (finite-difference gradients), followed by a check of the boundary:
a diagonal element that ends near 0 is set to 0 when that does not raise the
objective.  Used by :func:`lmmtext.lmm.lmm` and :func:`lmmtext.varcomp.fit_varcomp`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.optimize
import scipy.sparse
from threadpoolctl import threadpool_limits

from .remat import ReMat

__all__ = ["PLS", "PLSSolution", "optimize_theta"]

#: A diagonal element of ``T`` below this is reported as singular (lme4's ``isSingular`` tol).
SINGULAR_TOL = 1e-4
#: Values at which a diagonal element of ``T`` stuck at 0 is probed (see :func:`optimize_theta`).
BOUNDARY_PROBES = (1e-2, 1e-1)
#: Blocks below the first term with at most this many entries are stored dense.
DENSE_MAX = 200_000
#: Largest number of precomputed products kept for one pair of sparse blocks.
GRAM_MAX = 20_000_000


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
        self.X, self.y, self.terms = X, y, terms
        self.n, self.p = X.shape
        sizes = [t.n_theta for t in terms]
        self._theta_slices = np.split(np.arange(sum(sizes)), np.cumsum(sizes)[:-1])
        ZtZ = [(t.Z.T @ t.Z).tocoo() for t in terms]
        block_diag = [
            bool(np.all(Zc.row // t.n_cols == Zc.col // t.n_cols)) for t, Zc in zip(terms, ZtZ)
        ]
        # Internal order: a block-diagonal term first (the largest), the rest by decreasing size.
        order = sorted(range(len(terms)), key=lambda k: (not block_diag[k], -terms[k].q))
        self._order = order
        self._special = bool(terms) and block_diag[order[0]]
        W = np.column_stack([X, y])
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
            f = self._factor(theta)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            return np.inf
        pwrss, logdet_RX = self._profile(f)
        return self._criterion(f.logdet_L, logdet_RX, pwrss, reml)

    def _criterion(self, logdet_L: float, logdet_RX: float, pwrss: float, reml: bool) -> float:
        if pwrss <= 0:
            return np.inf
        df = self.n - self.p if reml else self.n
        d = logdet_L + df * (1.0 + np.log(2.0 * np.pi * pwrss / df))
        return float(d + logdet_RX) if reml else float(d)

    def solve(self, theta: np.ndarray, reml: bool) -> PLSSolution:
        """``beta``, the spherical ``u``, the random effects ``b = Lambda u`` and the criterion."""
        f = self._factor(theta)
        L, K, p = f.L, self._K, self.p
        LF = L[K, K]
        pwrss, logdet_RX = self._profile(f)
        Lxx = LF[:p, :p]
        beta = scipy.linalg.solve_triangular(Lxx.T, LF[p, :p], lower=False)
        Lxx_inv = scipy.linalg.solve_triangular(Lxx, np.eye(p), lower=True)
        # Back-substitution L_RR' u = c_u - L_XR' beta, block by block from the last term.
        u: list[np.ndarray] = [np.empty(0)] * K
        for k in range(K - 1, -1, -1):
            LFk = L[K, k]
            rhs = LFk[p] - LFk[:p].T @ beta
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
    """What the optimiser did (MixedModels.jl's ``optsummary``)."""

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


def _lbfgsb(fun: Any, x0: np.ndarray, bounds: scipy.optimize.Bounds) -> scipy.optimize.OptimizeResult:
    # Central differences: the criterion is known to ~1e-13 relative, so forward
    # differences would leave theta uncertain in its fourth or fifth digit.
    return scipy.optimize.minimize(
        fun, x0, method="L-BFGS-B", jac="3-point", bounds=bounds,
        options={"ftol": 1e-12, "gtol": 1e-7, "maxls": 50, "maxiter": 1000},
    )


def _probe_boundary(fun: Any, theta: np.ndarray, value: float, diag: np.ndarray) -> np.ndarray | None:
    """A point better than ``theta`` with a zero diagonal element moved inside, or ``None``."""
    best, best_value = None, value
    for idx in np.flatnonzero(diag & (theta < SINGULAR_TOL)):
        for step in BOUNDARY_PROBES:
            trial = theta.copy()
            trial[idx] = step
            trial_value = fun(trial)
            if trial_value < best_value:
                best, best_value = trial, trial_value
    return best


def optimize_theta(system: PLS, reml: bool) -> OptSummary:
    """Minimise the profiled deviance (ML) or REML criterion of ``system`` over ``theta``.

    L-BFGS-B with central-difference gradients from ``theta`` of ``T_k = I`` (lme4's
    start), with bounds ``theta_diag >= 0``.  A diagonal element that ends at the
    bound needs a second look: for a scalar term the criterion depends on
    ``theta_k`` only through ``theta_k^2``, so its derivative at ``theta_k = 0`` is
    zero whether or not the optimum lies inside, and a gradient method that reaches
    the bound stops there.  Each such element is therefore probed at
    :data:`BOUNDARY_PROBES`; if a probe is better, L-BFGS-B restarts from it.  Last,
    each diagonal element below :data:`SINGULAR_TOL` is tried at exactly 0 and kept
    there if the criterion does not increase (a variance on the boundary is
    reported as 0, not as a tiny number).

    BLAS runs single-threaded during the optimisation: the blocks are small to
    medium, threads gain little on them, and on a busy machine OpenBLAS's
    spin-waiting threads made a 3,000-observation crossed fit 50-100 times slower
    (measured on the book's 2-core machines).
    """
    start = system.theta_start()
    lower = system.theta_lower()
    upper = np.full_like(lower, np.inf)
    bounds = scipy.optimize.Bounds(lower, upper)
    diag = system.diagonal_mask()
    n_eval = 0

    def fun(theta: np.ndarray) -> float:
        nonlocal n_eval
        n_eval += 1
        return system.objective(theta, reml)

    with threadpool_limits(limits=1, user_api="blas"):
        res = _lbfgsb(fun, start, bounds)
        theta, value, n_restarts = res.x.copy(), float(res.fun), 0
        while n_restarts < diag.sum():
            probe = _probe_boundary(fun, theta, value, diag)
            if probe is None:
                break
            n_restarts += 1
            restart = _lbfgsb(fun, probe, bounds)
            if restart.fun >= value:
                break
            res, theta, value = restart, restart.x.copy(), float(restart.fun)
        for idx in np.flatnonzero(diag & (theta < SINGULAR_TOL) & (theta != 0)):
            trial = theta.copy()
            trial[idx] = 0.0
            trial_value = fun(trial)
            if trial_value <= value:
                theta, value = trial, trial_value
    return OptSummary(
        theta_start=start, lower=lower, upper=upper, theta_final=theta, objective_final=value,
        n_evaluations=n_eval, n_restarts=n_restarts, optimizer="L-BFGS-B", converged=bool(res.success),
        message=str(res.message), criterion="REML" if reml else "ML",
    )
