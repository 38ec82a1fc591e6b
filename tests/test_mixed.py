"""Specifications for lmmtext.mixed: Y = X beta + Z gamma + e (Chapter 1)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.mixed import gls_blup, henderson_mme, joint_cov, marginal_cov


def random_design(n, p, q, rng):
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    Z = rng.normal(size=(n, q))
    return X, Z


def random_spd(k, rng, scale=1.0):
    A = rng.normal(size=(k, k))
    return scale * (A @ A.T / k + 0.5 * np.eye(k))


# --- covariances -------------------------------------------------------------

def test_marginal_cov_is_z_d_zt_plus_r():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(5, 2))
    D, R = random_spd(2, rng), random_spd(5, rng)
    np.testing.assert_allclose(marginal_cov(Z, D, R), Z @ D @ Z.T + R)


def test_joint_cov_has_the_stated_blocks():
    rng = np.random.default_rng(1)
    n, q = 6, 3
    Z = rng.normal(size=(n, q))
    D, R = random_spd(q, rng), random_spd(n, rng)
    C = joint_cov(Z, D, R)
    assert C.shape == (n + q, n + q)
    np.testing.assert_allclose(C[:n, :n], Z @ D @ Z.T + R)
    np.testing.assert_allclose(C[:n, n:], Z @ D)
    np.testing.assert_allclose(C[n:, :n], D @ Z.T)
    np.testing.assert_allclose(C[n:, n:], D)


def test_joint_cov_is_reproduced_by_a_large_simulation():
    """2e5 draws of (Y, gamma): every entry within 0.05 of joint_cov (entries are O(1))."""
    rng = np.random.default_rng(2)
    n, q, draws = 4, 2, 200_000
    Z = rng.normal(size=(n, q))
    D = np.array([[1.0, 0.3], [0.3, 0.5]])
    R = 0.8 * np.eye(n)
    gamma = rng.multivariate_normal(np.zeros(q), D, size=draws)
    e = rng.multivariate_normal(np.zeros(n), R, size=draws)
    Y = gamma @ Z.T + e
    empirical = np.cov(np.hstack([Y, gamma]), rowvar=False)
    np.testing.assert_allclose(empirical, joint_cov(Z, D, R), atol=0.05)


# --- Henderson's equations and GLS/BLUP ----------------------------------------

@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 30), p=st.integers(1, 3), q=st.integers(1, 6),
    d_scale=st.floats(1e-2, 1e2), r_scale=st.floats(1e-2, 1e2),
    seed=st.integers(0, 2**32 - 1),
)
def test_mixed_model_equations_equal_gls_and_blup(n, p, q, d_scale, r_scale, seed):
    rng = np.random.default_rng(seed)
    X, Z = random_design(n, p, q, rng)
    D, R = random_spd(q, rng, d_scale), random_spd(n, rng, r_scale)
    y = rng.normal(size=n) * 3
    mme = henderson_mme(X, Z, y, D, R)
    gls = gls_blup(X, Z, y, D, R)
    np.testing.assert_allclose(mme.beta_hat, gls.beta_hat, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(mme.gamma_hat, gls.gamma_hat, rtol=1e-6, atol=1e-8)


def test_gls_blup_matches_the_textbook_formulas_written_with_inverses():
    rng = np.random.default_rng(3)
    X, Z = random_design(12, 2, 4, rng)
    D, R = random_spd(4, rng), random_spd(12, rng)
    y = rng.normal(size=12)
    Vi = np.linalg.inv(Z @ D @ Z.T + R)
    beta = np.linalg.solve(X.T @ Vi @ X, X.T @ Vi @ y)
    gamma = D @ Z.T @ Vi @ (y - X @ beta)
    sol = gls_blup(X, Z, y, D, R)
    np.testing.assert_allclose(sol.beta_hat, beta)
    np.testing.assert_allclose(sol.gamma_hat, gamma)


def test_henderson_solution_satisfies_the_mixed_model_equations():
    rng = np.random.default_rng(4)
    X, Z = random_design(10, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(10, rng)
    y = rng.normal(size=10)
    sol = henderson_mme(X, Z, y, D, R)
    Ri = np.linalg.inv(R)
    lhs_top = X.T @ Ri @ X @ sol.beta_hat + X.T @ Ri @ Z @ sol.gamma_hat
    lhs_bottom = Z.T @ Ri @ X @ sol.beta_hat + (Z.T @ Ri @ Z + np.linalg.inv(D)) @ sol.gamma_hat
    np.testing.assert_allclose(lhs_top, X.T @ Ri @ y)
    np.testing.assert_allclose(lhs_bottom, Z.T @ Ri @ y)


def test_blup_residual_is_orthogonal_in_the_gls_metric():
    """X' V^{-1} (y - X beta_hat) = 0: the GLS normal equations."""
    rng = np.random.default_rng(5)
    X, Z = random_design(15, 3, 4, rng)
    D, R = random_spd(4, rng), random_spd(15, rng)
    y = rng.normal(size=15)
    sol = gls_blup(X, Z, y, D, R)
    V = Z @ D @ Z.T + R
    np.testing.assert_allclose(X.T @ np.linalg.solve(V, y - X @ sol.beta_hat), 0.0, atol=1e-10)


# --- bad input ---------------------------------------------------------------

def _good(rng=np.random.default_rng(6)):
    X, Z = random_design(8, 2, 3, rng)
    return dict(X=X, Z=Z, y=rng.normal(size=8), D=np.eye(3), R=np.eye(8))


@pytest.mark.parametrize("solver", [henderson_mme, gls_blup])
@pytest.mark.parametrize(
    "change, exc, match",
    [
        (lambda a: a.update(y=a["y"][:-1]), ValueError, "y has 7 observations"),
        (lambda a: a.update(X=a["X"][:-1]), ValueError, "X has 7 rows"),
        (lambda a: a.update(D=np.eye(2)), ValueError, "D must be 3 x 3"),
        (lambda a: a.update(R=np.eye(7)), ValueError, "R must be 8 x 8"),
        (lambda a: a["y"].__setitem__(0, np.nan), ValueError, "y contains 1 NaN"),
        (lambda a: a["Z"].__setitem__((0, 0), np.inf), ValueError, "Z contains 1 NaN or infinite"),
        (lambda a: a.update(D=-np.eye(3)), ValueError, "D is not positive definite"),
        (lambda a: a.update(R=np.zeros((8, 8))), ValueError, "R is not positive definite"),
        (lambda a: a.update(D=np.array([[1.0, 2.0, 0], [0, 1.0, 0], [0, 0, 1.0]])), ValueError,
         "D must be symmetric"),
        (lambda a: a.update(X=np.column_stack([a["X"], a["X"][:, 1]])), ValueError, "rank deficient"),
        (lambda a: a.update(X=np.ones(8)), ValueError, "two-dimensional"),
        (lambda a: a.update(Z=[["a"] * 3] * 8), TypeError, "Z must be a numeric matrix"),
    ],
)
def test_bad_mixed_model_input_raises_naming_the_problem(solver, change, exc, match):
    args = _good()
    change(args)
    with pytest.raises(exc, match=match):
        solver(**args)


def test_marginal_cov_rejects_mismatched_d():
    with pytest.raises(ValueError, match="D must be 2 x 2"):
        marginal_cov(np.ones((3, 2)), np.eye(3), np.eye(3))
