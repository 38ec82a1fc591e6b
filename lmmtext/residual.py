"""Residual covariance structures: ``cov(e) = R = sigma^2 W`` beyond ``sigma^2 I`` (Chapter 15).

The general model of Chapter 3 has ``cov(e) = R``.  Here ``R = sigma^2 S C S``:
``S = diag(delta_i)`` holds standard-deviation ratios (:class:`VarIdent`) and
``C`` is block diagonal by group, a correlation matrix (:class:`AR1`,
:class:`CAR1`).  With ``C = L_C L_C'`` the change of variables
``y* = A y``, ``A = L_C^{-1} S^{-1}`` turns the model into one with
``cov(e*) = sigma^2 I``, so the profiled criterion of Chapter 16 applies to
``A y``, ``A X``, ``A Z`` unchanged and only ``log|S C S| = log|C| + 2 sum log delta_i``
is added (Chapter 15, eq. ``ch15-whitened``).  For AR(1) errors ``L_C^{-1}`` is
the bidiagonal Prais–Winsten difference, so no dense factor is ever formed:

.. math::

    e^*_1 = e_1, \\qquad e^*_t = (e_t - \\phi_t e_{t-1}) / \\sqrt{1 - \\phi_t^2},
    \\qquad \\log|C| = \\sum_{t \\ge 2} \\log(1 - \\phi_t^2),

with ``phi_t = phi`` for equally spaced rows (:class:`AR1`) and
``phi_t = phi^{t_j - t_{j-1}}`` for the continuous-time version (:class:`CAR1`),
which is Markov in time too.  These are nlme's ``corAR1``, ``corCAR1`` and
``varIdent`` (Pinheiro & Bates 2000, sec. 5.2-5.3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.linalg

__all__ = ["AR1", "CAR1", "VarIdent", "BoundResidual", "bind"]


@dataclass(frozen=True)
class AR1:
    """First-order autoregressive errors within each level of ``group``, rows in data order.

    ``corr(e_j, e_k) = phi^{|j - k|}`` for the ``j``-th and ``k``-th rows of a
    group, equally spaced (nlme's ``corAR1(form = ~ 1 | group)``); ``|phi| < 1``.
    """

    group: str

    @property
    def columns(self) -> list[str]:
        return [self.group]


@dataclass(frozen=True)
class CAR1:
    """Continuous-time AR(1): ``corr(e_j, e_k) = phi^{|t_j - t_k|}`` within a group, ``0 <= phi < 1``.

    nlme's ``corCAR1(form = ~ time | group)``.  Times within a group must be
    distinct; rows need not be sorted (the correlation depends only on time).
    """

    time: str
    group: str

    @property
    def columns(self) -> list[str]:
        return [self.time, self.group]


@dataclass(frozen=True)
class VarIdent:
    """A separate error SD for each level of ``by``, as ratios to the first level's (nlme's ``varIdent``).

    The first level is the first of ``by``'s level order: a Categorical's
    categories, or sorted values.
    """

    by: str

    @property
    def columns(self) -> list[str]:
        return [self.by]


Structure = AR1 | CAR1 | VarIdent


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True, eq=False)
class _Piece:
    """One structure bound to the rows of a fit."""

    structure: Any
    n_params: int
    codes: np.ndarray          # group (or level) code per row
    order: np.ndarray | None   # rows in time order within group (CAR1), or data order (AR1)
    gaps: np.ndarray | None    # time gap to the previous row of the same group, NaN for a first row
    levels: pd.Index | None    # VarIdent levels

    def params(self, z: np.ndarray) -> dict[str, Any]:
        s = self.structure
        if isinstance(s, AR1):
            return {"phi": float(np.tanh(z[0]))}
        if isinstance(s, CAR1):
            return {"phi": float(_logistic(z[0]))}
        ratios = np.concatenate([[1.0], np.exp(z)])
        return {str(level): float(r) for level, r in zip(self.levels, ratios)}


@dataclass(frozen=True, eq=False)
class BoundResidual:
    """Residual structures bound to the rows of a fit: the whitening ``A(rho)`` and ``log|W(rho)|``.

    ``rho`` is held on an unconstrained scale ``z`` (``phi = tanh z`` for AR(1),
    a logistic for CAR(1), ``delta = exp z`` for VarIdent), so the optimiser
    needs no bounds and ``|phi| < 1``, ``delta > 0`` hold by construction.
    """

    pieces: tuple[_Piece, ...]
    n: int

    @property
    def n_params(self) -> int:
        return sum(p.n_params for p in self.pieces)

    def split(self, z: np.ndarray) -> list[np.ndarray]:
        sizes = np.cumsum([p.n_params for p in self.pieces])[:-1]
        return np.split(np.asarray(z, dtype=float), sizes)

    def params(self, z: np.ndarray) -> dict[str, dict[str, float]]:
        """``{"AR1": {"phi": ...}, "VarIdent": {level: ratio, ...}}``."""
        return {type(p.structure).__name__: p.params(zk) for p, zk in zip(self.pieces, self.split(z))}

    def start(self) -> np.ndarray:
        """``phi = 0`` (AR1), ``phi = 0.2`` (CAR1, nlme's default start), all ratios 1."""
        out = []
        for p in self.pieces:
            if isinstance(p.structure, CAR1):
                out.append([np.log(0.2 / 0.8)])
            else:
                out.append(np.zeros(p.n_params))
        return np.concatenate(out) if out else np.zeros(0)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box bounds on ``z`` that keep ``W`` numerically positive definite.

        ``|phi| <= tanh 8 = 1 - 2e-7`` (AR1), ``phi`` between ``1e-9`` and
        ``1 - 1e-9`` (CAR1), ratios between ``e^-15`` and ``e^15``.  An estimate
        on such a bound is reported by :func:`lmmtext.lmm.fit_frame` as a
        parameter at the edge of its range.
        """
        limits = {AR1: 8.0, CAR1: 20.0, VarIdent: 15.0}
        hi = np.concatenate([np.full(p.n_params, limits[type(p.structure)]) for p in self.pieces])
        return -hi, hi

    def grid(self, z: np.ndarray) -> list[np.ndarray]:
        """Starting points that vary the correlation parameter over its range, the rest at ``z``.

        ``phi`` = -0.6, 0.6 (AR1) or 0.6, 0.9 (CAR1, whose own start is 0.2); none
        without a correlation structure.
        """
        out = []
        offset = 0
        for piece in self.pieces:
            if isinstance(piece.structure, AR1):
                values = np.arctanh([-0.6, 0.6])
            elif isinstance(piece.structure, CAR1):
                values = np.log(np.array([0.6, 0.9]) / (1 - np.array([0.6, 0.9])))
            else:
                offset += piece.n_params
                continue
            for v in values:
                point = np.array(z, dtype=float)
                point[offset] = v
                out.append(point)
            offset += piece.n_params
        return out

    def whitening(self, z: np.ndarray) -> tuple[scipy.sparse.csr_array, float]:
        """``A`` with ``A' A = W^{-1}`` and ``log|W|`` (Chapter 15, eq. ``ch15-whitened``)."""
        scale = np.ones(self.n)
        logdet = 0.0
        corr = None
        for piece, zk in zip(self.pieces, self.split(z)):
            s = piece.structure
            if isinstance(s, VarIdent):
                delta = np.concatenate([[1.0], np.exp(zk)])[piece.codes]
                scale = scale / delta
                logdet += 2.0 * float(np.sum(np.log(delta)))
            else:
                phi = float(np.tanh(zk[0])) if isinstance(s, AR1) else float(_logistic(zk[0]))
                corr = (piece, phi)
        A = scipy.sparse.diags_array(scale).tocsr()
        if corr is None:
            return A, logdet
        piece, phi = corr
        order = piece.order
        prev = np.concatenate([[-1], order[:-1]])
        first = np.isnan(piece.gaps)
        r = np.where(first, 0.0, phi ** np.where(first, 1.0, piece.gaps))
        denom = np.sqrt(1.0 - r**2)
        rows = np.concatenate([order, order[~first]])
        cols = np.concatenate([order, prev[~first]])
        vals = np.concatenate([1.0 / denom, -r[~first] / denom[~first]])
        F = scipy.sparse.csr_array((vals, (rows, cols)), shape=(self.n, self.n))
        logdet += float(np.sum(np.log(1.0 - r[~first] ** 2)))
        return F @ A, logdet

    def correlated(self, z: np.ndarray, e: np.ndarray) -> np.ndarray:
        """``A^{-1} e``: standard normal ``e`` turned into errors with covariance ``W`` (for simulation)."""
        A, _ = self.whitening(z)
        return scipy.sparse.linalg.spsolve(A.tocsc(), e)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.cat.remove_unused_categories()
        return cat.cat.codes.to_numpy(), pd.Index(cat.cat.categories)
    levels = pd.Index(sorted(pd.unique(values)))
    return levels.get_indexer(values), levels


def _bind_one(s: Any, rows: pd.DataFrame) -> _Piece:
    for col in s.columns:
        if col not in rows.columns:
            raise ValueError(f"{type(s).__name__}: the data have no column {col!r}")
    if isinstance(s, VarIdent):
        codes, levels = _codes(rows[s.by])
        counts = np.bincount(codes, minlength=len(levels))
        if len(levels) < 2:
            raise ValueError(f"VarIdent(by={s.by!r}): {s.by!r} has one level; there is no ratio to estimate")
        if np.any(counts < 2):
            raise ValueError(
                f"VarIdent(by={s.by!r}): level(s) {[str(v) for v in levels[counts < 2]]} have one "
                "observation, too few to estimate their own error variance"
            )
        return _Piece(s, len(levels) - 1, codes, None, None, levels)
    codes, _ = _codes(rows[s.group])
    n = len(rows)
    if isinstance(s, AR1):
        order = np.argsort(codes, kind="stable")
        gaps = np.ones(n)
    else:
        t = np.asarray(rows[s.time], dtype=float)
        if not np.all(np.isfinite(t)):
            raise ValueError(f"CAR1: the time column {s.time!r} has missing or infinite values")
        order = np.lexsort((t, codes))
        gaps = np.empty(n)
        gaps[1:] = np.diff(t[order])
        same = np.empty(n, dtype=bool)
        same[0] = False
        same[1:] = codes[order][1:] == codes[order][:-1]
        if np.any(same & (gaps <= 0)):
            g = rows[s.group].to_numpy()[order][np.flatnonzero(same & (gaps <= 0))[0]]
            raise ValueError(f"CAR1: group {g!r} has repeated times in {s.time!r}; times must be distinct")
        gaps = np.where(same, gaps, np.nan)
    sorted_codes = codes[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    if isinstance(s, AR1):
        gaps = np.where(first, np.nan, 1.0)
        if np.all(first):
            raise ValueError(f"AR1(group={s.group!r}): every group has one observation; phi is not identified")
    return _Piece(s, 1, codes, order, gaps, None)


def bind(residual: Any, rows: pd.DataFrame) -> BoundResidual:
    """Bind one structure or a list of them to the rows of a fit.

    Raises
    ------
    TypeError
        If a structure is not an ``AR1``, ``CAR1`` or ``VarIdent``.
    ValueError
        If a column is missing, two correlation structures are given, a
        VarIdent level has one observation, CAR1 times repeat within a group.
    """
    structures = list(residual) if isinstance(residual, (list, tuple)) else [residual]
    for s in structures:
        if not isinstance(s, (AR1, CAR1, VarIdent)):
            raise TypeError(f"residual must be AR1, CAR1 or VarIdent (or a list of them), got {s!r}")
    kinds = [type(s).__name__ for s in structures]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"each kind of residual structure may be given once, got {kinds}")
    if "AR1" in kinds and "CAR1" in kinds:
        raise ValueError("AR1 and CAR1 are two correlation structures for the same errors: give one")
    return BoundResidual(tuple(_bind_one(s, rows) for s in structures), len(rows))
