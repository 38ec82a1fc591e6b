"""Random-effects terms: one term's matrix, levels and covariance factor (Chapter 16).

A term such as ``(1 + Days | Subject)`` contributes ``q = l * s`` random effects:
``s`` coefficients (here ``Intercept`` and ``Days``) for each of the ``l`` levels
of its grouping factor.  Its model matrix ``Z_k`` (``n x q``, sparse) has its
columns *level-major*: the ``s`` columns of level 1, then those of level 2, ...
so that ``Z_k' Z_k`` is block diagonal with ``s x s`` blocks.  The relative
covariance factor of the term is ``Lambda_k = I_l (x) T_k`` with ``T_k`` an
``s x s`` lower-triangular matrix whose elements, taken column by column, are
the term's part of ``theta`` (Chapter 16, eq. ``ch16-lambda``; Bates, Maechler,
Bolker & Walker 2015, sec. 2.2; the ``ReMat`` type of MixedModels.jl).  The
covariance matrix of the term's random effects for one level is ``sigma^2 T_k T_k'``.

:func:`lmmtext.varcomp.fit_varcomp` also wraps an arbitrary design matrix as a
term (``s = 1``, one column per "level"), so both fitters share one core
(:mod:`lmmtext.pls`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse

__all__ = ["ReMat"]


@dataclass(frozen=True, eq=False)
class ReMat:
    """One random-effects term (MixedModels.jl's ``ReMat``).

    Attributes
    ----------
    name : str
        The grouping factor, e.g. ``"Subject"`` or ``"g1:g2"``.
    levels : pandas.Index
        The ``l`` levels of the grouping factor, in the order of ``Z``'s column blocks.
    cnames : tuple of str
        The ``s`` coefficient names of the term, e.g. ``("Intercept", "Days")``.
    Z : scipy.sparse.csr_array of shape (n, l * s)
        The term's model matrix, columns level-major.
    """

    name: str
    levels: pd.Index
    cnames: tuple[str, ...]
    Z: scipy.sparse.csr_array

    @classmethod
    def from_factor(
        cls, name: str, codes: np.ndarray, levels: pd.Index, values: np.ndarray, cnames: tuple[str, ...]
    ) -> ReMat:
        """Build the term from integer level codes (``n``) and the term's ``n x s`` model matrix.

        Row ``i`` of ``Z`` holds ``values[i]`` in the ``s`` columns of level ``codes[i]``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> t = ReMat.from_factor("g", np.array([0, 0, 1]), pd.Index(["a", "b"]),
        ...                       np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), ("Intercept", "x"))
        >>> t.Z.toarray().tolist()
        [[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]
        """
        n, s = values.shape
        indices = (codes[:, None] * s + np.arange(s)).ravel()
        indptr = np.arange(0, n * s + 1, s)
        Z = scipy.sparse.csr_array(
            (values.astype(float).ravel(), indices, indptr), shape=(n, levels.size * s)
        )
        return cls(name=name, levels=levels, cnames=tuple(cnames), Z=Z)

    @classmethod
    def from_matrix(cls, Z: scipy.sparse.sparray, name: str) -> ReMat:
        """Wrap a general ``n x q`` design matrix as a scalar term (``s = 1``, ``q`` "levels")."""
        q = Z.shape[1]
        return cls(name=name, levels=pd.RangeIndex(q), cnames=(name,), Z=scipy.sparse.csr_array(Z))

    @property
    def n_cols(self) -> int:
        """``s``, the number of coefficients per level."""
        return len(self.cnames)

    @property
    def n_levels(self) -> int:
        """``l``, the number of levels of the grouping factor."""
        return self.levels.size

    @property
    def q(self) -> int:
        """``l * s``, the number of random effects of the term."""
        return self.Z.shape[1]

    @property
    def n_theta(self) -> int:
        """``s (s + 1) / 2``, the number of elements of the lower-triangular ``T``."""
        s = self.n_cols
        return s * (s + 1) // 2

    @cached_property
    def _tril(self) -> tuple[np.ndarray, np.ndarray]:
        # Column-major order of the lower triangle, as lme4 stores theta.
        cols, rows = np.triu_indices(self.n_cols)
        return rows, cols

    def theta_start(self) -> np.ndarray:
        """``theta`` of ``T = I`` (lme4's starting value)."""
        rows, cols = self._tril
        return (rows == cols).astype(float)

    def theta_lower(self) -> np.ndarray:
        """Lower bounds: 0 for the diagonal of ``T``, ``-inf`` below it."""
        rows, cols = self._tril
        return np.where(rows == cols, 0.0, -np.inf)

    def diagonal_mask(self) -> np.ndarray:
        """Which elements of the term's ``theta`` lie on the diagonal of ``T``."""
        rows, cols = self._tril
        return rows == cols

    def lambda_factor(self, theta: np.ndarray) -> np.ndarray:
        """The ``s x s`` lower-triangular ``T`` holding the term's ``theta``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> t = ReMat.from_factor("g", np.array([0, 1]), pd.Index(["a", "b"]),
        ...                       np.ones((2, 2)), ("Intercept", "x"))
        >>> t.lambda_factor(np.array([1.0, 2.0, 3.0])).tolist()
        [[1.0, 0.0], [2.0, 3.0]]
        """
        T = np.zeros((self.n_cols, self.n_cols))
        T[self._tril] = theta
        return T

    def covariance(self, theta: np.ndarray, sigma2: float) -> pd.DataFrame:
        """``sigma^2 T T'``, the covariance of the term's random effects for one level."""
        T = self.lambda_factor(theta)
        return pd.DataFrame(sigma2 * T @ T.T, index=list(self.cnames), columns=list(self.cnames))
