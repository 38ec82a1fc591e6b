"""Specifications for the theory chapters' additions to lmmtext.mixed.

Chapter 3 (the joint distribution, the conditional distribution of gamma given Y,
the variance-component model) and Chapter 5 (the mixed-model equations, the
Woodbury identity, prediction-error variances, the penalized least-squares view).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scipy.stats import multivariate_normal

from lmmtext.mixed import (augmented_pls_system, block_diag_D, conditional_gamma,
                           henderson_mme, joint_cov, joint_log_density, marginal_cov,
                           mme_coefficient_matrix, prediction_error_cov, varcomp_cov,
                           woodbury_solve)


def random_design(n, p, q, rng):
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    Z = rng.normal(size=(n, q))
    return X, Z


def random_spd(k, rng, scale=1.0):
    A = rng.normal(size=(k, k))
    return scale * (A @ A.T / k + 0.5 * np.eye(k))


def indicators(codes):
    codes = np.asarray(codes)
    return np.eye(codes.max() + 1)[codes]


def oneway(n_i):
    groups = np.repeat(np.arange(len(n_i)), n_i)
    Z = indicators(groups)
    return np.ones((len(groups), 1)), Z, groups


def blup_matrix(X, Z, D, R):
    """H with gamma_hat = H y: henderson_mme is linear in y, so solve for each unit vector."""
    n = Z.shape[0]
    return np.column_stack([henderson_mme(X, Z, e, D, R).gamma_hat for e in np.eye(n)])


# --- Chapter 3: conditional distribution of gamma given Y ----------------------

def test_conditional_gamma_equals_the_partitioned_normal_formula():
    """E[g|Y] = S_gy S_yy^{-1} (y - X beta), cov = S_gg - S_gy S_yy^{-1} S_yg from joint_cov."""
    rng = np.random.default_rng(30)
    n, p, q = 9, 2, 3
    X, Z = random_design(n, p, q, rng)
    D, R = random_spd(q, rng), random_spd(n, rng)
    beta, y = rng.normal(size=p), rng.normal(size=n)
    S = joint_cov(Z, D, R)
    S_yy, S_gy, S_gg = S[:n, :n], S[n:, :n], S[n:, n:]
    mean = S_gy @ np.linalg.inv(S_yy) @ (y - X @ beta)
    cov = S_gg - S_gy @ np.linalg.inv(S_yy) @ S_gy.T
    cg = conditional_gamma(X, Z, y, beta, D, R)
    np.testing.assert_allclose(cg.mean, mean, rtol=1e-10)
    np.testing.assert_allclose(cg.cov, cov, rtol=1e-10, atol=1e-12)


def _simulate_joint(rng, draws):
    n, q = 5, 2
    X = np.column_stack([np.ones(n), np.arange(n)])
    Z = indicators([0, 0, 1, 1, 1])
    beta = np.array([1.0, 0.5])
    D, R = np.diag([2.0, 0.5]), np.eye(n)
    gamma = rng.multivariate_normal(np.zeros(q), D, size=draws)
    Y = X @ beta + gamma @ Z.T + rng.normal(size=(draws, n))
    return X, Z, beta, D, R, Y, gamma


def test_conditional_mean_is_the_population_regression_of_gamma_on_y():
    """Least squares of gamma on (1, Y) over 1e5 draws recovers D Z' V^{-1} and the intercept."""
    rng = np.random.default_rng(31)
    X, Z, beta, D, R, Y, gamma = _simulate_joint(rng, 100_000)
    A = np.column_stack([np.ones(len(Y)), Y])
    coef = np.linalg.lstsq(A, gamma, rcond=None)[0]
    K = D @ Z.T @ np.linalg.inv(marginal_cov(Z, D, R))
    np.testing.assert_allclose(coef[1:].T, K, atol=0.02)
    np.testing.assert_allclose(coef[0], -K @ X @ beta, atol=0.05)


def test_conditional_cov_is_the_residual_cov_of_the_regression():
    rng = np.random.default_rng(32)
    X, Z, beta, D, R, Y, gamma = _simulate_joint(rng, 100_000)
    pred = np.array([conditional_gamma(X, Z, y, beta, D, R).mean for y in Y[:20_000]])
    resid = gamma[:20_000] - pred
    cov = conditional_gamma(X, Z, Y[0], beta, D, R).cov
    np.testing.assert_allclose(np.cov(resid, rowvar=False), cov, atol=0.02)
    np.testing.assert_allclose(resid.mean(axis=0), 0.0, atol=0.02)


def test_conditional_gamma_in_the_oneway_model_is_k_times_deviation():
    """E[a_i|Y] = k_i (ybar_i - mu), var(a_i|Y) = sigma_a^2 (1 - k_i), no correlation."""
    rng = np.random.default_rng(33)
    n_i, mu, sa2, s2 = np.array([1, 2, 5, 9]), 3.0, 4.0, 9.0
    X, Z, groups = oneway(n_i)
    y = rng.normal(size=n_i.sum()) * 3 + mu
    cg = conditional_gamma(X, Z, y, [mu], sa2 * np.eye(4), s2 * np.eye(n_i.sum()))
    k = sa2 / (sa2 + s2 / n_i)
    ybar = np.bincount(groups, y) / n_i
    np.testing.assert_allclose(cg.mean, k * (ybar - mu))
    np.testing.assert_allclose(cg.cov, np.diag(sa2 * (1 - k)), atol=1e-12)


@settings(max_examples=40)
@given(n=st.integers(2, 15), q=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_conditioning_never_increases_the_covariance(n, q, seed):
    """0 <= cov(gamma|Y) <= D in the positive semi-definite order."""
    rng = np.random.default_rng(seed)
    X, Z = random_design(n, 1, q, rng)
    D, R = random_spd(q, rng), random_spd(n, rng)
    cov = conditional_gamma(X, Z, rng.normal(size=n), [0.0], D, R).cov
    assert np.linalg.eigvalsh(cov).min() > -1e-10
    assert np.linalg.eigvalsh(D - cov).min() > -1e-10


def test_conditional_gamma_accepts_a_zero_variance_component():
    X, Z, _ = oneway([2, 3])
    Z2 = np.column_stack([Z, np.arange(5.0)])
    D = np.diag([1.0, 1.0, 0.0])
    cg = conditional_gamma(X, Z2, np.arange(5.0), [0.0], D, np.eye(5))
    assert cg.mean[2] == 0.0 and np.all(cg.cov[2] == 0.0)


# --- Chapter 3: the variance-component model ----------------------------------

def test_block_diag_d_repeats_each_variance_q_l_times():
    D = block_diag_D([4.0, 1.0, 0.5], [3, 2, 1])
    np.testing.assert_array_equal(np.diag(D), [4, 4, 4, 1, 1, 0.5])
    np.testing.assert_array_equal(D, np.diag(np.diag(D)))


@settings(max_examples=40)
@given(n=st.integers(2, 12), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       seed=st.integers(0, 2**32 - 1))
def test_varcomp_cov_equals_marginal_cov_with_block_diagonal_d(n, sizes, seed):
    rng = np.random.default_rng(seed)
    blocks = [rng.normal(size=(n, q)) for q in sizes]
    s2 = rng.uniform(0, 3, size=len(sizes))
    R = random_spd(n, rng)
    expected = marginal_cov(np.hstack(blocks), block_diag_D(s2, sizes), R)
    np.testing.assert_allclose(varcomp_cov(blocks, s2, R), expected, rtol=1e-12, atol=1e-12)


def test_oneway_varcomp_cov_is_compound_symmetric_blocks():
    """Chapter 1, eq. (1.2): sigma_a^2 + sigma^2 on the diagonal, sigma_a^2 within, 0 between."""
    n_i, sa2, s2 = [2, 3, 4], 16.0, 64.0
    _, Z, groups = oneway(n_i)
    V = varcomp_cov([Z], [sa2], s2 * np.eye(9))
    same = groups[:, None] == groups[None, :]
    np.testing.assert_array_equal(V, np.where(same, sa2, 0.0) + s2 * np.eye(9))


def test_crossed_varcomp_cov_has_the_five_kinds_of_entries():
    """y_ijk = mu + a_i + b_j + e_ijk: cov is sA+sB+s (same obs), sA+sB (same cell), sA, sB, 0."""
    a, b, reps, sA, sB, s = 3, 4, 2, 5.0, 2.0, 1.0
    i = np.repeat(np.arange(a), b * reps)
    j = np.tile(np.repeat(np.arange(b), reps), a)
    V = varcomp_cov([indicators(i), indicators(j)], [sA, sB], s * np.eye(a * b * reps))
    same_i, same_j = i[:, None] == i[None, :], j[:, None] == j[None, :]
    expected = sA * same_i + sB * same_j + s * np.eye(len(i))
    np.testing.assert_array_equal(V, expected)
    assert set(np.unique(V)) == {0.0, sB, sA, sA + sB, sA + sB + s}


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: block_diag_D([1.0, -1.0], [1, 2]), ValueError, "non-negative"),
        (lambda: block_diag_D([1.0], [1, 2]), ValueError, "1 entries but sizes has 2"),
        (lambda: block_diag_D([1.0], [1.5]), ValueError, "positive integers"),
        (lambda: block_diag_D([1.0], [0]), ValueError, "positive integers"),
        (lambda: varcomp_cov([], [], np.eye(2)), ValueError, "Z_blocks is empty"),
        (lambda: varcomp_cov(np.ones((2, 1)), [1.0], np.eye(2)), TypeError, "list of matrices"),
        (lambda: varcomp_cov([np.ones((2, 1))], [1.0, 2.0], np.eye(2)), ValueError,
         "1 blocks but sigma2_components has 2"),
        (lambda: varcomp_cov([np.ones((3, 1))], [1.0], np.eye(2)), ValueError,
         r"Z_blocks\[0\] has 3 rows"),
        (lambda: varcomp_cov([np.ones((2, 1))], [-1.0], np.eye(2)), ValueError, "non-negative"),
        (lambda: varcomp_cov([np.ones((2, 1))], [1.0], np.ones((2, 3))), ValueError, "square"),
        (lambda: conditional_gamma(np.ones((2, 1)), np.ones((2, 1)), [1.0, 2.0], [0.0, 1.0],
                                   [[1.0]], np.eye(2)), ValueError, "beta has 2 entries"),
        (lambda: conditional_gamma(np.ones((2, 1)), np.ones((2, 1)), [1.0, np.nan], [0.0],
                                   [[1.0]], np.eye(2)), ValueError, "y contains 1 NaN"),
        (lambda: conditional_gamma(np.ones((2, 1)), np.ones((2, 1)), [1.0, 2.0], [0.0],
                                   [[1.0]], -3 * np.eye(2)), ValueError, "not positive definite"),
        (lambda: conditional_gamma(np.ones((3, 1)), np.ones((2, 1)), [1.0, 2.0], [0.0],
                                   [[1.0]], np.eye(2)), ValueError, "X has 3 rows"),
    ],
)
def test_bad_chapter3_input_raises_naming_the_problem(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- Chapter 5: the mixed-model equations --------------------------------------

def test_coefficient_matrix_has_the_henderson_blocks():
    rng = np.random.default_rng(50)
    X, Z = random_design(10, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(10, rng)
    Ri, Di = np.linalg.inv(R), np.linalg.inv(D)
    expected = np.block([[X.T @ Ri @ X, X.T @ Ri @ Z], [Z.T @ Ri @ X, Z.T @ Ri @ Z + Di]])
    np.testing.assert_allclose(mme_coefficient_matrix(X, Z, D, R), expected, rtol=1e-10)


def test_joint_log_density_is_the_product_of_conditional_and_marginal():
    """log f(y, g | b) = log N(y; Xb + Zg, R) + log N(g; 0, D)."""
    rng = np.random.default_rng(58)
    X, Z = random_design(7, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(7, rng)
    beta, gamma, y = rng.normal(size=2), rng.normal(size=3), rng.normal(size=7)
    expected = (multivariate_normal(X @ beta + Z @ gamma, R).logpdf(y)
                + multivariate_normal(np.zeros(3), D).logpdf(gamma))
    np.testing.assert_allclose(joint_log_density(X, Z, y, beta, gamma, D, R), expected)


def test_joint_log_density_is_the_joint_normal_of_chapter3():
    """The same number from N((X beta, 0), joint_cov(Z, D, R)) evaluated at (y, gamma)."""
    rng = np.random.default_rng(59)
    X, Z = random_design(6, 2, 2, rng)
    D, R = random_spd(2, rng), random_spd(6, rng)
    beta, gamma, y = rng.normal(size=2), rng.normal(size=2), rng.normal(size=6)
    joint = multivariate_normal(np.r_[X @ beta, np.zeros(2)], joint_cov(Z, D, R))
    np.testing.assert_allclose(joint_log_density(X, Z, y, beta, gamma, D, R),
                               joint.logpdf(np.r_[y, gamma]))


def test_mme_solution_maximises_the_joint_density():
    rng = np.random.default_rng(60)
    X, Z = random_design(10, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(10, rng)
    y = rng.normal(size=10)
    sol = henderson_mme(X, Z, y, D, R)
    best = joint_log_density(X, Z, y, sol.beta_hat, sol.gamma_hat, D, R)
    for _ in range(50):
        db, dg = rng.normal(size=2) * 0.1, rng.normal(size=3) * 0.1
        assert joint_log_density(X, Z, y, sol.beta_hat + db, sol.gamma_hat + dg, D, R) < best


def test_mme_solution_is_the_stationary_point_of_the_joint_log_density():
    """The gradient of (y-Xb-Zg)'R^{-1}(y-Xb-Zg) + g'D^{-1}g vanishes at (beta_hat, gamma_hat)."""
    rng = np.random.default_rng(51)
    X, Z = random_design(12, 2, 4, rng)
    D, R = random_spd(4, rng), random_spd(12, rng)
    y = rng.normal(size=12)
    sol = henderson_mme(X, Z, y, D, R)
    r = np.linalg.solve(R, y - X @ sol.beta_hat - Z @ sol.gamma_hat)
    np.testing.assert_allclose(X.T @ r, 0.0, atol=1e-10)
    np.testing.assert_allclose(Z.T @ r - np.linalg.solve(D, sol.gamma_hat), 0.0, atol=1e-10)


@settings(max_examples=60)
@given(n=st.integers(2, 20), q=st.integers(1, 6), d_scale=st.floats(1e-2, 1e2),
       r_scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_woodbury_identity_holds(n, q, d_scale, r_scale, seed):
    """V^{-1} = R^{-1} - R^{-1} Z (Z'R^{-1}Z + D^{-1})^{-1} Z'R^{-1}."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, q))
    D, R = random_spd(q, rng, d_scale), random_spd(n, rng, r_scale)
    Ri = np.linalg.inv(R)
    rhs = Ri - Ri @ Z @ np.linalg.inv(Z.T @ Ri @ Z + np.linalg.inv(D)) @ Z.T @ Ri
    V = Z @ D @ Z.T + R
    np.testing.assert_allclose(V @ rhs, np.eye(n), atol=1e-7)


@settings(max_examples=60)
@given(n=st.integers(2, 20), q=st.integers(1, 6), k=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_woodbury_solve_equals_a_direct_solve_with_v(n, q, k, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, q))
    D, R = random_spd(q, rng), random_spd(n, rng)
    b = rng.normal(size=(n, k))
    V = marginal_cov(Z, D, R)
    np.testing.assert_allclose(woodbury_solve(Z, D, R, b), np.linalg.solve(V, b), atol=1e-9)
    np.testing.assert_allclose(woodbury_solve(Z, D, R, b[:, 0]), np.linalg.solve(V, b[:, 0]),
                               atol=1e-9)


def test_mme_blup_is_the_conditional_mean_at_the_gls_estimate():
    rng = np.random.default_rng(52)
    X, Z = random_design(14, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(14, rng)
    y = rng.normal(size=14)
    sol = henderson_mme(X, Z, y, D, R)
    cg = conditional_gamma(X, Z, y, sol.beta_hat, D, R)
    np.testing.assert_allclose(sol.gamma_hat, cg.mean, rtol=1e-9, atol=1e-12)


def test_inverse_of_c_holds_the_gls_covariance_and_the_pev():
    """C^{-1} = [[(X'V^{-1}X)^{-1}, .], [., PEV]]."""
    rng = np.random.default_rng(53)
    X, Z = random_design(11, 2, 4, rng)
    D, R = random_spd(4, rng), random_spd(11, rng)
    Ci = np.linalg.inv(mme_coefficient_matrix(X, Z, D, R))
    Vi = np.linalg.inv(marginal_cov(Z, D, R))
    np.testing.assert_allclose(Ci[:2, :2], np.linalg.inv(X.T @ Vi @ X), rtol=1e-9)
    np.testing.assert_allclose(prediction_error_cov(X, Z, D, R), Ci[2:, 2:], rtol=1e-9)


def test_pev_equals_d_minus_cov_of_the_blup():
    """var(g_hat - g) = D - D Z' P Z D with P = V^{-1} - V^{-1}X(X'V^{-1}X)^{-1}X'V^{-1}."""
    rng = np.random.default_rng(54)
    X, Z = random_design(13, 3, 4, rng)
    D, R = random_spd(4, rng), random_spd(13, rng)
    Vi = np.linalg.inv(marginal_cov(Z, D, R))
    P = Vi - Vi @ X @ np.linalg.inv(X.T @ Vi @ X) @ X.T @ Vi
    np.testing.assert_allclose(prediction_error_cov(X, Z, D, R), D - D @ Z.T @ P @ Z @ D,
                               rtol=1e-8, atol=1e-12)


def test_pev_matches_a_monte_carlo_simulation_of_the_prediction_errors():
    rng = np.random.default_rng(55)
    n_i, sa2, s2, draws = [1, 3, 10], 4.0, 9.0, 40_000
    X, Z, _ = oneway(n_i)
    D, R = sa2 * np.eye(3), s2 * np.eye(14)
    H = blup_matrix(X, Z, D, R)
    gamma = rng.normal(scale=np.sqrt(sa2), size=(draws, 3))
    Y = 7.0 + gamma @ Z.T + rng.normal(scale=np.sqrt(s2), size=(draws, 14))
    errors = Y @ H.T - gamma
    np.testing.assert_allclose(np.cov(errors, rowvar=False), prediction_error_cov(X, Z, D, R),
                               atol=0.06)


def test_oneway_pev_closed_form():
    """PEV_i = sa2 (1 - k_i) + k_i^2 var(mu_hat); cov_ij = k_i k_j var(mu_hat); var(mu_hat) = 1/sum w."""
    n_i, sa2, s2 = np.array([2, 3, 4, 6, 8, 12, 20, 40]), 16.0, 64.0
    X, Z, _ = oneway(n_i)
    k = sa2 / (sa2 + s2 / n_i)
    var_mu = 1 / np.sum(1 / (sa2 + s2 / n_i))
    expected = np.diag(sa2 * (1 - k)) + var_mu * np.outer(k, k)
    pev = prediction_error_cov(X, Z, sa2 * np.eye(8), s2 * np.eye(n_i.sum()))
    np.testing.assert_allclose(pev, expected, rtol=1e-10)


def test_blup_beats_every_other_linear_unbiased_predictor():
    """E(a'y - w)^2 is smallest at the BLUP weights among a with X'a = k (exact moments)."""
    rng = np.random.default_rng(56)
    X, Z = random_design(10, 2, 3, rng)
    D, R = random_spd(3, rng), random_spd(10, rng)
    V = marginal_cov(Z, D, R)
    kvec, m = np.array([1.0, 2.0]), np.array([0.5, -1.0, 2.0])
    # BLUP weights: k'beta_hat + m'gamma_hat = b'y, read off by linearity
    b = np.array([kvec @ henderson_mme(X, Z, e, D, R).beta_hat
                  + m @ henderson_mme(X, Z, e, D, R).gamma_hat for e in np.eye(10)])
    np.testing.assert_allclose(X.T @ b, kvec, atol=1e-10)

    def mse(a):  # E(a'y - k'beta - m'gamma)^2 for unbiased a
        return a @ V @ a - 2 * a @ Z @ D @ m + m @ D @ m

    Q, _ = np.linalg.qr(X, mode="complete")
    for _ in range(20):
        d = Q[:, 2:] @ rng.normal(size=8)
        assert mse(b + 0.1 * d) > mse(b)
    np.testing.assert_allclose(mse(b), np.r_[kvec, m] @ np.linalg.inv(
        mme_coefficient_matrix(X, Z, D, R)) @ np.r_[kvec, m], rtol=1e-9)


@settings(max_examples=40)
@given(n=st.integers(4, 20), q=st.integers(1, 5), sigma2=st.floats(0.05, 20),
       seed=st.integers(0, 2**32 - 1))
def test_augmented_least_squares_equals_henderson(n, q, sigma2, seed):
    rng = np.random.default_rng(seed)
    X, Z = random_design(n, 2, q, rng)
    D = random_spd(q, rng)
    y = rng.normal(size=n)
    A, b = augmented_pls_system(X, Z, y, D, sigma2)
    coef = np.linalg.lstsq(A, b, rcond=None)[0]
    sol = henderson_mme(X, Z, y, D, sigma2 * np.eye(n))
    np.testing.assert_allclose(coef, np.r_[sol.beta_hat, sol.gamma_hat], rtol=1e-6, atol=1e-8)


def test_augmented_normal_equations_are_sigma2_times_c():
    rng = np.random.default_rng(57)
    X, Z = random_design(9, 2, 3, rng)
    D, sigma2 = random_spd(3, rng), 2.5
    A, _ = augmented_pls_system(X, Z, rng.normal(size=9), D, sigma2)
    C = mme_coefficient_matrix(X, Z, D, sigma2 * np.eye(9))
    np.testing.assert_allclose(A.T @ A, sigma2 * C, rtol=1e-10)


def test_augmented_pseudo_observations_for_scalar_d_are_scaled_identity():
    X, Z, _ = oneway([2, 3])
    A, b = augmented_pls_system(X, Z, np.arange(5.0), 4.0 * np.eye(2), 9.0)
    np.testing.assert_allclose(A[5:], [[0.0, 1.5, 0.0], [0.0, 0.0, 1.5]])
    np.testing.assert_array_equal(b[5:], 0.0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: prediction_error_cov(np.ones((4, 2)), np.eye(4)[:, :2], np.eye(2), np.eye(4)),
         ValueError, "rank deficient"),
        (lambda: prediction_error_cov(np.ones((3, 1)), np.eye(4)[:, :2], np.eye(2), np.eye(4)),
         ValueError, "X has 3 rows but Z has 4"),
        (lambda: mme_coefficient_matrix(np.ones((4, 1)), np.eye(4)[:, :2], np.zeros((2, 2)),
                                        np.eye(4)), ValueError, "D is not positive definite"),
        (lambda: joint_log_density(np.ones((2, 1)), np.ones((2, 1)), [1.0, 2.0], [0.0],
                                   [0.0, 1.0], [[1.0]], np.eye(2)), ValueError,
         "gamma has 2 entries but Z has 1"),
        (lambda: joint_log_density(np.ones((2, 1)), np.ones((2, 1)), [1.0, 2.0], [0.0, 0.0],
                                   [0.0], [[1.0]], np.eye(2)), ValueError, "beta has 2 entries"),
        (lambda: woodbury_solve(np.ones((4, 1)), [[1.0]], np.eye(4), np.ones(3)), ValueError,
         "b has 3 rows but Z has 4"),
        (lambda: woodbury_solve(np.ones((4, 1)), [[1.0]], np.eye(4), np.ones((4, 1, 1))),
         ValueError, "b must be a vector or a matrix"),
        (lambda: augmented_pls_system(np.ones((4, 1)), np.eye(4)[:, :2], np.ones(4), np.eye(2),
                                      0.0), ValueError, "sigma2 is a variance and must be positive"),
        (lambda: augmented_pls_system(np.ones((4, 1)), np.eye(4)[:, :2], np.ones(5), np.eye(2),
                                      1.0), ValueError, "y has 5 observations"),
    ],
)
def test_bad_chapter5_input_raises_naming_the_problem(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
