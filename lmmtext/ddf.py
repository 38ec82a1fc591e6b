"""Denominator degrees of freedom for t and F tests of fixed effects (Chapter 10).

A Wald statistic for ``L beta`` uses ``Phi = vcov(beta) = (X'V^{-1}X)^{-1}`` with the
estimated covariance parameters plugged in.  Two corrections account for their
uncertainty (Chapter 10, Inference for fixed effects):

- Satterthwaite (Chapter 10, eq. ``ch10-satterthwaite``; Satterthwaite 1946;
  Kuznetsova, Brockhoff & Christensen 2017): for one contrast ``l``,
  ``df = 2 (l' Phi l)^2 / (g' A g)``, where ``g`` is the gradient of ``l' Phi l``
  with respect to the variance parameters and ``A`` their asymptotic covariance,
  twice the inverse Hessian of the deviance (ML) or REML criterion.  As in
  lmerTest, the variance parameters are ``varpar = (theta, sigma)`` and the
  criterion is the one the model was fitted by.  lmerTest differentiates
  numerically; here the gradient and Hessian are exact (see below).  An
  F test of ``q`` contrasts combines the ``q`` one-dimensional ``df`` of the
  eigen-decomposed ``L Phi L'`` (Chapter 10, eq. ``ch10-satterthwaite-f``).
- Kenward-Roger (Chapter 10, eq. ``ch10-kenward-roger``; Kenward & Roger 1997;
  Halekoh & Hojsgaard 2014): a bias-corrected covariance ``Phi_A`` of ``beta``
  and an F statistic scaled so that its first two moments match an F
  distribution, for REML fits only.  Covariance parameters in the linear
  parametrisation ``V = sum_r psi_r G_r``, as in pbkrtest.

The marginal covariance is ``V = sigma^2 (I + Z Lambda Lambda' Z')``.  In the linear
parametrisation each covariance parameter ``psi_r`` (an element of the lower
triangle of one term's ``sigma^2 T_k T_k'``, then ``sigma^2``) has
``G_r = dV/dpsi_r = Z D_r Z'`` with ``D_r = I (x) E_r`` (``E_r`` the symmetric unit
matrix of the element), and ``G = I`` for ``sigma^2``.  With
``P = V^{-1} - V^{-1} X Phi X' V^{-1}`` the REML criterion has gradient
``tr(P G_r) - y'P G_r P y`` and Hessian ``-tr(P G_r P G_s) + 2 y'P G_r P G_s P y``
(ML: ``V^{-1}`` in place of ``P`` in the traces), and
``dPhi/dpsi_r = Phi X'V^{-1} G_r V^{-1} X Phi``.  The chain rule to
``(theta, sigma)`` then gives lmerTest's quantities exactly, including the
first-order term that matters at a boundary fit.  ``V`` is never formed: every
product with ``V^{-1}`` uses the Woodbury identity with the ``q x q`` Cholesky
factor of ``I + Lambda'Z'Z Lambda``, so the cost is ``O(n q (q + p))``.

References
----------
Halekoh, U. and Hojsgaard, S. (2014). A Kenward-Roger approximation and parametric
bootstrap methods for tests in linear mixed models - the R package pbkrtest.
*Journal of Statistical Software* 59(9), 1-32.

Kenward, M. G. and Roger, J. H. (1997). Small sample inference for fixed effects
from restricted maximum likelihood. *Biometrics* 53(3), 983-997.

Kuznetsova, A., Brockhoff, P. B. and Christensen, R. H. B. (2017). lmerTest
package: tests in linear mixed effects models. *Journal of Statistical Software*
82(13), 1-26.

Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
components. *Biometrics Bulletin* 2(6), 110-114.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
import scipy.stats

__all__ = ["DDF_METHODS", "coef_table", "f_test"]

#: The accepted values of ``ddf`` (as lmerTest spells them).
DDF_METHODS = ("Satterthwaite", "Kenward-Roger")
#: Eigenvalues of the varpar Hessian at or below this are dropped (lmerTest's ``tol``).
HESSIAN_TOL = 1e-8
#: Satterthwaite ``df`` of an F test that differ by less than this are averaged (lmerTest).
NU_TOL = 1e-8
#: pbkrtest inverts the expected information ``I_E`` if its smallest |eigenvalue| exceeds this.
IE_SINGULAR_TOL = 1e-10


# -- the marginal model and its derivatives ---------------------------------------------------
@dataclass(frozen=True)
class _Forms:
    """Bilinear forms of a symmetric ``A`` (``V^{-1}`` or ``P``) with ``Z`` and ``Y = [X y]``.

    ``zz1 = Z'AZ``, ``zz2 = Z'A^2Z``, ``zy1 = Z'AY``, ``zy2 = Z'A^2Y``, ``yy2 = Y'A^2Y``,
    ``yy3 = Y'A^3Y``, ``tr1 = tr A``, ``tr2 = tr A^2``.
    """

    zz1: np.ndarray
    zz2: np.ndarray
    zy1: np.ndarray
    zy2: np.ndarray
    yy2: np.ndarray
    yy3: np.ndarray
    tr1: float
    tr2: float

    def trace_first(self, D: list[scipy.sparse.csr_array]) -> np.ndarray:
        """``tr(A G_r)`` for every covariance parameter (the last one ``sigma^2``)."""
        return np.array([(Dr.multiply(self.zz1.T)).sum() for Dr in D] + [self.tr1])

    def trace_second(self, D: list[scipy.sparse.csr_array]) -> np.ndarray:
        """``tr(A G_r A G_s)`` for every pair of covariance parameters."""
        DM = [Dr @ self.zz1 for Dr in D]
        m = len(D) + 1
        out = np.empty((m, m))
        for r in range(m - 1):
            for s in range(r, m - 1):
                out[r, s] = out[s, r] = np.sum(DM[r] * DM[s].T)
            out[r, m - 1] = out[m - 1, r] = (D[r].multiply(self.zz2.T)).sum()
        out[m - 1, m - 1] = self.tr2
        return out

    def quad_first(self, D: list[scipy.sparse.csr_array]) -> list[np.ndarray]:
        """``Y'A G_r A Y`` for every covariance parameter."""
        return [self.zy1.T @ (Dr @ self.zy1) for Dr in D] + [self.yy2]

    def quad_second(self, D: list[scipy.sparse.csr_array]) -> dict[tuple[int, int], np.ndarray]:
        """``Y'A G_r A G_s A Y`` for ``r <= s`` (the ``(s, r)`` form is its transpose)."""
        DY = [Dr @ self.zy1 for Dr in D]
        m = len(D) + 1
        out: dict[tuple[int, int], np.ndarray] = {}
        for r in range(m - 1):
            for s in range(r, m - 1):
                out[r, s] = DY[r].T @ self.zz1 @ DY[s]
            out[r, m - 1] = DY[r].T @ self.zy2
        out[m - 1, m - 1] = self.yy3
        return out


class _Marginal:
    """``y ~ N(X beta, V)``, ``V = sigma^2 (I + U U')``, ``U = Z Lambda``, at one ``(theta, sigma^2)``."""

    def __init__(self, system: Any, theta: np.ndarray, sigma2: float) -> None:
        terms = system.terms
        self.X = np.asarray(system.X, dtype=float)
        self.y = np.asarray(system.y, dtype=float)
        self.n, self.p = self.X.shape
        self.sigma2 = float(sigma2)
        self.Z = scipy.sparse.hstack([t.Z for t in terms], format="csr")
        lam = [
            scipy.sparse.kron(scipy.sparse.identity(t.n_levels), t.lambda_factor(th))
            for t, th in zip(terms, system.term_theta(theta))
        ]
        self.U = (self.Z @ scipy.sparse.block_diag(lam, format="csr")).tocsr()
        q = self.U.shape[1]
        C = (self.U.T @ self.U).toarray() + np.eye(q)
        self._chol = scipy.linalg.cho_factor(C, lower=True)
        Cinv = scipy.linalg.cho_solve(self._chol, np.eye(q))
        # tr V^{-k} = sigma^{-2k} (n - q + tr C^{-k}): U'U and UU' share their nonzero eigenvalues.
        self._tr_vinv = (self.n - q + np.trace(Cinv)) / self.sigma2
        self._tr_vinv2 = (self.n - q + np.sum(Cinv * Cinv)) / self.sigma2**2
        self.VX = self.vinv(self.X)
        self.XVX_chol = scipy.linalg.cho_factor(self.X.T @ self.VX, lower=True)
        self.Phi = scipy.linalg.cho_solve(self.XVX_chol, np.eye(self.p))

    def vinv(self, B: np.ndarray) -> np.ndarray:
        """``V^{-1} B`` by the Woodbury identity."""
        return (B - self.U @ scipy.linalg.cho_solve(self._chol, self.U.T @ B)) / self.sigma2

    def proj(self, B: np.ndarray) -> np.ndarray:
        """``P B`` with ``P = V^{-1} - V^{-1} X Phi X' V^{-1}``."""
        return self.vinv(B) - self.VX @ scipy.linalg.cho_solve(self.XVX_chol, self.VX.T @ B)

    def forms(self, restricted: bool) -> _Forms:
        """The forms of ``P`` (``restricted``) or of ``V^{-1}``."""
        apply = self.proj if restricted else self.vinv
        Zd = self.Z.toarray()
        Y = np.column_stack([self.X, self.y])
        AZ, AY = apply(Zd), apply(Y)
        if restricted:
            # tr P = tr V^{-1} - tr K2 and tr P^2 = tr V^{-2} - 2 tr K3 + tr K2^2,
            # K2 = Phi X'V^{-2}X, K3 = Phi X'V^{-3}X (expand P = V^{-1} - V^{-1}X Phi X'V^{-1}).
            K2 = scipy.linalg.cho_solve(self.XVX_chol, self.VX.T @ self.VX)
            K3 = scipy.linalg.cho_solve(self.XVX_chol, self.VX.T @ self.vinv(self.VX))
            tr1 = self._tr_vinv - np.trace(K2)
            tr2 = self._tr_vinv2 - 2.0 * np.trace(K3) + np.sum(K2 * K2.T)
        else:
            tr1, tr2 = self._tr_vinv, self._tr_vinv2
        return _Forms(
            zz1=Zd.T @ AZ, zz2=AZ.T @ AZ, zy1=Zd.T @ AY, zy2=AZ.T @ AY, yy2=AY.T @ AY,
            yy3=AY.T @ apply(AY), tr1=float(tr1), tr2=float(tr2),
        )


def _positions(system: Any, theta: np.ndarray) -> list[list[tuple[int, int]]]:
    """For each term, the ``(row, column)`` of ``T_k`` that each of its ``theta`` elements fills."""
    out = []
    for term, th in zip(system.terms, system.term_theta(theta)):
        unit = np.eye(th.size)
        out.append([tuple(np.argwhere(term.lambda_factor(unit[m]))[0]) for m in range(th.size)])
    return out


def _unit_matrices(system: Any, theta: np.ndarray) -> list[scipy.sparse.csr_array]:
    """``D_r = I (x) E_r`` (``q x q``) for each linear covariance parameter except ``sigma^2``.

    The parameters follow ``theta``: element ``(i, j)`` of the lower triangle of term
    ``k``'s ``T_k T_k'`` where ``theta`` fills element ``(i, j)`` of ``T_k``;
    ``E_r`` is 1 at ``(i, j)`` and ``(j, i)``.
    """
    q = sum(t.Z.shape[1] for t in system.terms)
    D = []
    offset = 0
    for term, positions in zip(system.terms, _positions(system, theta)):
        s, levels = term.n_cols, np.arange(term.n_levels)
        for i, j in positions:
            rows = np.concatenate([levels * s + i, levels * s + j]) if i != j else levels * s + i
            cols = np.concatenate([levels * s + j, levels * s + i]) if i != j else levels * s + i
            D.append(scipy.sparse.csr_array(
                (np.ones(rows.size), (offset + rows, offset + cols)), shape=(q, q)
            ))
        offset += term.Z.shape[1]
    return D


def _varpar_map(system: Any, theta: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives of ``psi`` (linear parameters) w.r.t. ``varpar = (theta, sigma)``.

    ``psi_r = sigma^2 (T_k T_k')_{ij}`` and, last, ``sigma^2``.  Returns ``J`` with
    ``J[r, a] = d psi_r / d varpar_a`` and ``H2`` with ``H2[r, a, b] = d^2 psi_r / d varpar_a d varpar_b``.
    """
    m = theta.size + 1
    J, H2 = np.zeros((m, m)), np.zeros((m, m, m))
    start = 0
    for term, th, positions in zip(system.terms, system.term_theta(theta), _positions(system, theta)):
        T = term.lambda_factor(th)
        S = T @ T.T
        unit = np.eye(th.size)
        E = [term.lambda_factor(unit[a]) for a in range(th.size)]
        dS = [Ea @ T.T + T @ Ea.T for Ea in E]
        idx = range(start, start + th.size)
        for r, (i, j) in zip(idx, positions):
            for la, a in enumerate(idx):
                J[r, a] = sigma**2 * dS[la][i, j]
                H2[r, a, -1] = H2[r, -1, a] = 2.0 * sigma * dS[la][i, j]
                for lb, b in enumerate(idx):
                    H2[r, a, b] = sigma**2 * (E[la] @ E[lb].T + E[lb] @ E[la].T)[i, j]
            J[r, -1] = 2.0 * sigma * S[i, j]
            H2[r, -1, -1] = 2.0 * S[i, j]
        start += th.size
    J[-1, -1] = 2.0 * sigma
    H2[-1, -1, -1] = 2.0
    return J, H2


# -- Satterthwaite --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Satterthwaite:
    """What lmerTest keeps for Satterthwaite's method: ``Phi``, ``A = vcov(varpar)`` and ``dPhi/dvarpar``."""

    Phi: np.ndarray
    A: np.ndarray
    jacobian: np.ndarray  # (n_varpar, p, p)

    def df(self, l: np.ndarray) -> float:
        """``2 (l'Phi l)^2 / (g'A g)``, ``g_a = l' dPhi/dvarpar_a l`` (eq. ``ch10-satterthwaite``)."""
        g = np.einsum("i,aij,j->a", l, self.jacobian, l)
        return float(2.0 * (l @ self.Phi @ l) ** 2 / (g @ self.A @ g))


def _satterthwaite(system: Any, theta: np.ndarray, sigma2: float, reml: bool) -> _Satterthwaite:
    """Exact versions of lmerTest's numerical Hessian and Jacobian (``as_lmerModLmerTest``).

    The deviance (``reml=False``) or REML criterion as a function of
    ``varpar = (theta, sigma)`` has Hessian ``J' H_psi J + sum_r g_r d^2psi_r``, with
    ``g`` and ``H_psi`` its gradient and Hessian in the linear parameters ``psi``.
    ``A = 2 H^+`` over the eigenvalues above :data:`HESSIAN_TOL`, as in lmerTest.
    """
    model = _Marginal(system, theta, sigma2)
    D = _unit_matrices(system, theta)
    P = model.forms(restricted=True)
    traces = P if reml else model.forms(restricted=False)
    p = model.p
    py_first = np.array([f[p, p] for f in P.quad_first(D)])
    py_second = P.quad_second(D)
    grad = traces.trace_first(D) - py_first
    hess = -traces.trace_second(D)
    for (r, s), f in py_second.items():
        hess[r, s] += 2.0 * f[p, p]
        if r != s:
            hess[s, r] = hess[r, s]
    J, H2 = _varpar_map(system, theta, np.sqrt(sigma2))
    H = J.T @ hess @ J + np.einsum("r,rab->ab", grad, H2)
    evals, evecs = np.linalg.eigh(H)
    keep = evals > HESSIAN_TOL
    A = 2.0 * (evecs[:, keep] / evals[keep]) @ evecs[:, keep].T
    # dPhi/dpsi_r = Phi X'V^{-1} G_r V^{-1} X Phi, then the chain rule to varpar.
    vinv_forms = model.forms(restricted=False) if reml else traces
    dPhi = np.array([model.Phi @ f[:p, :p] @ model.Phi for f in vinv_forms.quad_first(D)])
    jacobian = np.einsum("rij,ra->aij", dPhi, J)
    return _Satterthwaite(Phi=model.Phi, A=A, jacobian=jacobian)


def _fstat_ddf(nu: np.ndarray) -> float:
    """Denominator df of a Satterthwaite F test from the ``df`` of its contrasts (lmerTest's ``get_Fstat_ddf``).

    If ``F`` is the mean of ``q`` independent ``t_m^2``, matching its mean
    ``sum nu_m / (nu_m - 2) / q`` with that of an ``F(q, d)`` gives ``d = 2E / (E - q)``.
    """
    if nu.size == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < NU_TOL):
        return float(nu.mean())
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2.0)))
    return 2.0 * E / (E - nu.size)


# -- Kenward-Roger --------------------------------------------------------------------------
@dataclass(frozen=True)
class _KenwardRoger:
    """pbkrtest's ``vcovAdj``: ``Phi``, the adjusted ``Phi_A`` and its attributes ``P`` and ``W``."""

    Phi: np.ndarray
    PhiA: np.ndarray
    P: list[np.ndarray]
    W: np.ndarray

    def adjust(self, L: np.ndarray) -> tuple[float, float]:
        """Denominator df and F scaling for ``L beta = 0`` (pbkrtest's ``.KR_adjust``, ``Lb_ddf``).

        Kenward & Roger (1997), eqs. (3.2)-(3.3) and sec. 4 (Chapter 10, eq. ``ch10-kenward-roger``).
        """
        q = L.shape[0]
        Theta = L.T @ scipy.linalg.solve(L @ self.Phi @ L.T, L, assume_a="pos")
        u = [Theta @ self.Phi @ Pr @ self.Phi for Pr in self.P]
        tr_u = np.array([np.trace(ur) for ur in u])
        A1 = float(tr_u @ self.W @ tr_u)
        A2 = float(sum(self.W[r, s] * np.sum(u[r] * u[s].T)
                       for r in range(len(u)) for s in range(len(u))))
        B = (A1 + 6.0 * A2) / (2.0 * q)
        g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
        denom = 3 * q + 2 * (1 - g)
        c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
        V0, V1, V2 = 1.0 + c1 * B, 1.0 - c2 * B, 1.0 - c3 * B
        V0 = 0.0 if abs(V0) < 1e-10 else V0
        ratio = 1.0 if abs(1 - A2 / q) < 1e-14 and abs(V1) < 1e-14 else (1 - A2 / q) / V1
        # V2 = 0 happens exactly in balanced designs (one-way with A2 = 1/2): rho is then
        # infinite and df2 = 4, as R's floating point gives in pbkrtest.
        with np.errstate(divide="ignore"):
            rho = np.float64(ratio) ** 2 * V0 / np.float64(V2) / q
            df2 = 4.0 + (q + 2) / (q * rho - 1)
        scaling = 1.0 if abs(df2 - 2) < 1e-2 else df2 * (1 - A2 / q) / (df2 - 2)
        return float(df2), float(scaling)


def _kenward_roger(system: Any, theta: np.ndarray, sigma2: float) -> _KenwardRoger:
    """pbkrtest's ``vcovAdj``: ``Phi_A = Phi + 2 Phi U Phi`` (Kenward & Roger 1997, eq. 3.4).

    With ``P_r = -X'V^{-1}G_rV^{-1}X``, ``Q_rs = X'V^{-1}G_rV^{-1}G_sV^{-1}X``,
    ``W = 2 I_E^{-1}`` the inverse expected REML information of the linear parameters
    (``I_E,rs = tr(V^{-1}G_rV^{-1}G_s) - 2 tr(Phi Q_rs) + tr(Phi P_r Phi P_s)``) and
    ``U = sum_rs W_rs (Q_rs - P_r Phi P_s)``.
    """
    model = _Marginal(system, theta, sigma2)
    D = _unit_matrices(system, theta)
    V = model.forms(restricted=False)
    p, Phi = model.p, model.Phi
    P = [-f[:p, :p] for f in V.quad_first(D)]
    Q = {key: f[:p, :p] for key, f in V.quad_second(D).items()}
    m = len(P)
    for r, s in list(Q):
        Q[s, r] = Q[r, s].T
    K = V.trace_second(D)
    IE = np.array([[K[r, s] - 2.0 * np.sum(Phi * Q[r, s]) + np.sum((Phi @ P[r]) * (P[s] @ Phi))
                    for s in range(m)] for r in range(m)])
    # pbkrtest: the generalised inverse (MASS::ginv) when I_E is numerically singular.
    if np.min(np.abs(np.linalg.eigvalsh(IE))) > IE_SINGULAR_TOL:
        W = 2.0 * scipy.linalg.solve(IE, np.eye(m), assume_a="sym")
    else:
        W = 2.0 * scipy.linalg.pinvh(IE, rtol=np.sqrt(np.finfo(float).eps))
    U = sum(W[r, s] * (Q[r, s] - P[r] @ Phi @ P[s]) for r in range(m) for s in range(m))
    return _KenwardRoger(Phi=Phi, PhiA=Phi + 2.0 * Phi @ U @ Phi, P=P, W=W)


# -- the public functions -----------------------------------------------------------------------
def _check_fit(fit: Any) -> None:
    needed = ("fixef", "vcov", "theta", "sigma2", "method", "system")
    missing = [a for a in needed if not hasattr(fit, a)]
    if missing:
        raise TypeError(
            f"fit must be a fitted model from lmmtext.lmm (an LmmResult); got {type(fit).__name__} "
            f"without {', '.join(missing)}"
        )
    if fit.method not in ("REML", "ML"):
        raise ValueError(f"fit.method must be 'REML' or 'ML', got {fit.method!r}")


def _check_ddf(ddf: Any, fit: Any, allow_none: bool) -> None:
    allowed = DDF_METHODS + ((None,) if allow_none else ())
    if ddf not in allowed:
        raise ValueError(f"ddf must be one of {', '.join(map(repr, allowed))}; got {ddf!r}")
    if ddf == "Kenward-Roger" and fit.method != "REML":
        raise ValueError(
            "Kenward-Roger's method needs a REML fit: its bias correction of vcov(beta) and its "
            "F approximation are derived for REML estimates of the covariance parameters (as in "
            "pbkrtest and lmerTest); refit with method='REML', or use ddf='Satterthwaite'"
        )


def _check_contrasts(L: Any, names: pd.Index) -> np.ndarray:
    try:
        L = np.asarray(L, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"L must be a numeric matrix, got {type(L).__name__}") from exc
    if L.ndim == 1:
        L = L[None, :]
    p = names.size
    if L.ndim != 2 or L.shape[1] != p or L.shape[0] == 0:
        raise ValueError(
            f"L must have one row per contrast and {p} columns, one per fixed effect "
            f"({', '.join(map(str, names))}); got shape {L.shape}"
        )
    if not np.all(np.isfinite(L)):
        raise ValueError("L holds NaN or infinite values")
    rank = np.linalg.matrix_rank(L)
    if rank < L.shape[0]:
        raise ValueError(
            f"L has rank {rank} < {L.shape[0]} rows: the contrasts are linearly dependent; "
            "drop the redundant rows"
        )
    return L


def coef_table(fit: Any, ddf: str | None = "Satterthwaite") -> pd.DataFrame:
    """t tests of each fixed effect, with Satterthwaite or Kenward-Roger degrees of freedom.

    As lmerTest's ``summary(fit, ddf = ...)$coefficients`` (Chapter 10, eqs.
    ``ch10-satterthwaite`` and ``ch10-kenward-roger``); ``ddf=None`` gives the Wald
    z table (Chapter 10, eq. ``ch10-wald``).

    Parameters
    ----------
    fit : LmmResult
        A fit from :func:`lmmtext.lmm`.
    ddf : {"Satterthwaite", "Kenward-Roger", None}, default "Satterthwaite"
        ``"Satterthwaite"`` uses the criterion the model was fitted by (REML or ML);
        ``"Kenward-Roger"`` needs a REML fit and reports the standard errors of
        the adjusted covariance ``Phi_A``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``fit.fixef``; columns ``Estimate``, ``Std. Error``, ``df``,
        ``t value``, ``Pr(>|t|)`` (``ddf=None``: ``Estimate``, ``Std. Error``,
        ``z value``, ``Pr(>|z|)``).

    Raises
    ------
    ValueError
        If ``ddf`` is not one of the values above, or is ``"Kenward-Roger"`` for an ML fit.
    TypeError
        If ``fit`` is not a fitted model.

    Examples
    --------
    >>> import lmmtext
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmmtext.lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> coef_table(fit)["df"].round(3).tolist()  # balanced: the t of 18 subject slopes
    [17.0, 17.0]
    """
    _check_fit(fit)
    _check_ddf(ddf, fit, allow_none=True)
    names = fit.fixef.index
    beta = fit.fixef.to_numpy(dtype=float)
    if ddf == "Kenward-Roger":
        kr = _kenward_roger(fit.system, np.asarray(fit.theta, dtype=float), fit.sigma2)
        se = np.sqrt(np.diag(kr.PhiA))
        df = np.array([kr.adjust(l[None, :])[0] for l in np.eye(names.size)])
    else:
        se = np.sqrt(np.diag(fit.vcov.to_numpy(dtype=float)))
    stat = beta / se
    if ddf is None:
        return pd.DataFrame({"Estimate": beta, "Std. Error": se, "z value": stat,
                             "Pr(>|z|)": 2.0 * scipy.stats.norm.sf(np.abs(stat))}, index=names)
    if ddf == "Satterthwaite":
        sat = _satterthwaite(fit.system, np.asarray(fit.theta, dtype=float), fit.sigma2,
                             reml=fit.method == "REML")
        df = np.array([sat.df(l) for l in np.eye(names.size)])
    return pd.DataFrame({"Estimate": beta, "Std. Error": se, "df": df, "t value": stat,
                         "Pr(>|t|)": 2.0 * scipy.stats.t.sf(np.abs(stat), df)}, index=names)


def f_test(fit: Any, L: Any, ddf: str = "Satterthwaite") -> pd.Series:
    """Joint F test of ``L beta = 0`` with Satterthwaite or Kenward-Roger denominator df.

    As lmerTest's ``contest(fit, L, joint = TRUE, ddf = ...)`` (Chapter 10, eqs.
    ``ch10-satterthwaite-f`` and ``ch10-kenward-roger``).  Satterthwaite: with
    ``L Phi L' = P diag(d) P'``, ``F = mean_m (p_m' beta)^2 / d_m`` over the rows
    ``p_m'`` of ``P'L``, and the denominator df from their ``q`` one-dimensional
    ``df``; one row gives ``t^2`` and its ``df``.  Kenward-Roger: the Wald statistic
    with ``Phi_A``, divided by ``q`` and scaled (pbkrtest's ``KRmodcomp``).

    Parameters
    ----------
    fit : LmmResult
        A fit from :func:`lmmtext.lmm` (REML for ``"Kenward-Roger"``).
    L : array_like of shape (q, p) or (p,)
        One row per contrast, one column per fixed effect in ``fit.fixef`` order;
        a 1-D array is one contrast.  Full row rank.
    ddf : {"Satterthwaite", "Kenward-Roger"}, default "Satterthwaite"

    Returns
    -------
    pandas.Series
        ``F value``, ``NumDF`` (``q``), ``DenDF``, ``Pr(>F)``.

    Raises
    ------
    ValueError
        If ``L`` has the wrong shape, non-finite entries or dependent rows; if
        ``ddf`` is unknown, or ``"Kenward-Roger"`` for an ML fit.
    TypeError
        If ``fit`` is not a fitted model or ``L`` is not numeric.

    Examples
    --------
    >>> import lmmtext
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmmtext.lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> f_test(fit, [0, 1])[["F value", "DenDF"]].round(2).tolist()
    [45.85, 17.0]
    """
    _check_fit(fit)
    _check_ddf(ddf, fit, allow_none=False)
    L = _check_contrasts(L, fit.fixef.index)
    q = L.shape[0]
    beta = fit.fixef.to_numpy(dtype=float)
    theta = np.asarray(fit.theta, dtype=float)
    if ddf == "Kenward-Roger":
        kr = _kenward_roger(fit.system, theta, fit.sigma2)
        Lb = L @ beta
        wald = float(Lb @ scipy.linalg.solve(L @ kr.PhiA @ L.T, Lb, assume_a="pos"))
        dendf, scaling = kr.adjust(L)
        F = scaling * wald / q
    else:
        sat = _satterthwaite(fit.system, theta, fit.sigma2, reml=fit.method == "REML")
        d, vecs = np.linalg.eigh(L @ fit.vcov.to_numpy(dtype=float) @ L.T)
        PtL = vecs.T @ L
        F = float(np.mean((PtL @ beta) ** 2 / d))
        dendf = _fstat_ddf(np.array([sat.df(row) for row in PtL]))
    return pd.Series({"F value": F, "NumDF": float(q), "DenDF": dendf,
                      "Pr(>F)": float(scipy.stats.f.sf(F, q, dendf))}, name="F test")
