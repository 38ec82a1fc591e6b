"""Input checks shared by the public functions of :mod:`lmmtext`.

Every public function validates its arguments once, here, and raises a
``ValueError`` or ``TypeError`` that names the offending argument.  Inner
functions trust their inputs.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg


def as_vector(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a finite 1-D float array, or raise naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {type(x).__name__}") from exc
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    check_finite(arr, name)
    return arr


def as_matrix(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a finite 2-D float array, or raise naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric matrix, got {type(x).__name__}") from exc
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a two-dimensional matrix, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or infinite values, saying how many."""
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or infinite value(s)")


def as_variance(x: Any, name: str, *, positive: bool = False) -> float:
    """Return a variance as a float; negative (or, if ``positive``, zero) values raise."""
    if isinstance(x, (bool, np.bool_)) or not np.isscalar(x) and np.ndim(x) != 0:
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    try:
        value = float(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}") from exc
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (positive and value == 0):
        bound = "positive" if positive else "non-negative"
        raise ValueError(f"{name} is a variance and must be {bound}, got {value}")
    return value


def group_codes(groups: Any, n: int, name: str = "groups") -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted group labels and an integer code per observation.

    Raises if ``groups`` does not have one label per observation, holds missing
    labels, or has fewer than two distinct groups.
    """
    labels_in = np.asarray(groups)
    if labels_in.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {labels_in.shape}")
    if labels_in.shape[0] != n:
        raise ValueError(
            f"{name} has {labels_in.shape[0]} labels but y has {n} observations"
        )
    if labels_in.dtype.kind == "f" and np.isnan(labels_in).any():
        raise ValueError(f"{name} contains missing (NaN) labels")
    if labels_in.dtype.kind == "O" and any(lab is None or lab != lab for lab in labels_in):
        raise ValueError(f"{name} contains missing labels")
    labels, codes = np.unique(labels_in, return_inverse=True)
    if labels.size < 2:
        raise ValueError(f"{name} must have at least two distinct groups, got {labels.size}")
    return labels, codes


def cholesky(A: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """Cholesky factor of a symmetric matrix, or a ValueError naming it."""
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be square, got shape {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(A).max())):
        raise ValueError(f"{name} must be symmetric")
    try:
        return scipy.linalg.cho_factor(A, lower=True)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"{name} is not positive definite") from exc


def check_full_column_rank(X: np.ndarray, name: str = "X") -> None:
    """Raise if the columns of ``X`` are linearly dependent."""
    n, p = X.shape
    if n < p:
        raise ValueError(f"{name} has more columns ({p}) than rows ({n}); it is rank deficient")
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        raise ValueError(
            f"{name} is rank deficient: rank {rank} < {p} columns; "
            "beta is not estimable (drop or combine collinear columns)"
        )


def check_bootstrap(n_boot: Any, rng: Any) -> int:
    """``n_boot`` as a positive int and ``rng`` a ``numpy.random.Generator``, or raise naming them."""
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)):
        raise TypeError(f"n_boot must be an integer, got {type(n_boot).__name__}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return int(n_boot)
