"""Tests of lmmtext.computation (Chapter 11) and of the fitter against it."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.computation import (
    pls_dense,
    profiled_deviance_dense,
    random_effects_matrix,
    relative_covariance_factor,
    remat_from_data,
)
from lmmtext.likelihood import loglik_ml, loglik_reml
from lmmtext.mixed import henderson_mme
from lmmtext.pls import PLS
from lmmtext.remat import ReMat


def _term(name, codes, n_levels, values, cnames):
    levels = pd.Index([f"{name}{k}" for k in range(n_levels)])
    return ReMat.from_factor(name, codes, levels, values, cnames)


def _design(seed, vector=False):
    """A random crossed design: a scalar (or vector) term g1 and a scalar term g2."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 40))
    l1, l2 = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    c1 = np.concatenate([np.arange(l1), rng.integers(0, l1, n - l1)])
    c2 = np.concatenate([np.arange(l2), rng.integers(0, l2, n - l2)])
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    if vector:
        t1 = _term("g", c1, l1, X, ("Intercept", "x"))
    else:
        t1 = _term("g", c1, l1, np.ones((n, 1)), ("Intercept",))
    t2 = _term("h", c2, l2, np.ones((n, 1)), ("Intercept",))
    terms = [t1, t2]
    n_theta = sum(t.n_theta for t in terms)
    theta = rng.uniform(0.1, 2.0, n_theta)
    if vector:
        theta[1] = rng.normal()  # the off-diagonal element of T_1 may be negative
    y = X @ np.array([3.0, -1.0]) + rng.normal(size=n) * 2
    return X, y, terms, theta


def _dense_parts(seed, vector=False):
    X, y, terms, theta = _design(seed, vector)
    Z = random_effects_matrix(terms).toarray()
    Lam = relative_covariance_factor(terms, theta).toarray()
    return X, y, terms, theta, Z, Lam


seeds = st.integers(0, 2**32 - 1)


# -- Lambda_theta, eq. (11.2) --------------------------------------------------------
def test_lambda_is_kronecker_of_T_per_term():
    _, _, terms, theta = _design(1, vector=True)
    Lam = relative_covariance_factor(terms, theta).toarray()
    T1 = terms[0].lambda_factor(theta[:3])
    l1 = terms[0].n_levels
    np.testing.assert_array_equal(Lam[: 2 * l1, : 2 * l1], np.kron(np.eye(l1), T1))
    np.testing.assert_array_equal(Lam[2 * l1 :, 2 * l1 :], theta[3] * np.eye(terms[1].n_levels))
    assert not Lam[: 2 * l1, 2 * l1 :].any() and not Lam[2 * l1 :, : 2 * l1].any()


def test_lambda_gives_term_covariance():
    _, _, terms, theta = _design(2, vector=True)
    Lam = relative_covariance_factor(terms, theta).toarray()
    cov = 2.5 * Lam @ Lam.T
    np.testing.assert_allclose(cov[:2, :2], terms[0].covariance(theta[:3], 2.5).to_numpy())


def test_lambda_wrong_theta_length_raises():
    _, _, terms, theta = _design(3)
    with pytest.raises(ValueError, match="theta has 3 entries"):
        relative_covariance_factor(terms, np.append(theta, 1.0))


def test_lambda_rejects_non_remat():
    with pytest.raises(TypeError, match=r"terms\[0\] must be a ReMat"):
        relative_covariance_factor([np.eye(2)], [1.0])


def test_random_effects_matrix_empty_raises():
    with pytest.raises(ValueError, match="terms is empty"):
        random_effects_matrix([])


# -- PLS, eqs. (11.3)-(11.5) ---------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(seeds)
def test_cholesky_factor_reproduces_penalised_matrix(seed):
    X, y, _, _, Z, Lam = _dense_parts(seed)
    sol = pls_dense(X, Z, y, Lam)
    A = Lam.T @ Z.T @ Z @ Lam + np.eye(Z.shape[1])
    np.testing.assert_allclose(sol.L @ sol.L.T, A, rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seeds)
def test_pls_solution_solves_normal_equations(seed):
    X, y, _, _, Z, Lam = _dense_parts(seed, vector=True)
    sol = pls_dense(X, Z, y, Lam)
    r = y - X @ sol.beta - Z @ Lam @ sol.u
    np.testing.assert_allclose(Lam.T @ Z.T @ r, sol.u, atol=1e-8 * np.abs(y).sum())
    np.testing.assert_allclose(X.T @ r, 0.0, atol=1e-8 * np.abs(y).sum())


@settings(max_examples=30, deadline=None)
@given(seeds, st.floats(0.1, 100.0))
def test_pls_solution_equals_henderson_mme(seed, sigma2):
    X, y, _, _, Z, Lam = _dense_parts(seed, vector=True)
    sol = pls_dense(X, Z, y, Lam)
    mme = henderson_mme(X, Z, y, sigma2 * Lam @ Lam.T, sigma2 * np.eye(y.size))
    np.testing.assert_allclose(sol.beta, mme.beta_hat, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(sol.b, mme.gamma_hat, rtol=1e-7, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(seeds, st.booleans())
def test_fitter_pls_matches_dense_reference(seed, vector):
    X, y, terms, theta, Z, Lam = _dense_parts(seed, vector)
    ref = pls_dense(X, Z, y, Lam)
    sol = PLS(X, y, terms).solve(theta, reml=True)
    np.testing.assert_allclose(sol.beta, ref.beta, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(np.concatenate(sol.u), ref.u, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.concatenate(sol.b), ref.b, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(sol.pwrss, ref.pwrss, rtol=1e-9)
    np.testing.assert_allclose(sol.logdet_L, ref.logdet_L, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(sol.logdet_RX, ref.logdet_RX, rtol=1e-9, atol=1e-10)


def test_scalar_first_term_block_of_L_is_diagonal():
    X, y, terms, theta, Z, Lam = _dense_parts(5)
    l1 = terms[0].n_levels
    L11 = pls_dense(X, Z, y, Lam).L[:l1, :l1]
    np.testing.assert_array_equal(L11, np.diag(np.diag(L11)))


# -- profiled deviance, eqs. (11.6)-(11.7) -------------------------------------------
def _V(Z, Lam, sigma2):
    ZL = Z @ Lam
    return sigma2 * (ZL @ ZL.T + np.eye(Z.shape[0]))


@settings(max_examples=30, deadline=None)
@given(seeds, st.booleans())
def test_profiled_deviance_is_minus_two_max_loglik(seed, vector):
    X, y, _, _, Z, Lam = _dense_parts(seed, vector)
    sol = pls_dense(X, Z, y, Lam)
    V = _V(Z, Lam, sol.pwrss / y.size)
    expected = -2 * loglik_ml(y, X, V, beta=sol.beta)
    np.testing.assert_allclose(profiled_deviance_dense(X, Z, y, Lam), expected, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seeds, st.booleans())
def test_reml_criterion_is_minus_two_restricted_loglik(seed, vector):
    X, y, _, _, Z, Lam = _dense_parts(seed, vector)
    n, p = X.shape
    sol = pls_dense(X, Z, y, Lam)
    V = _V(Z, Lam, sol.pwrss / (n - p))
    expected = -2 * loglik_reml(y, X, V)
    np.testing.assert_allclose(profiled_deviance_dense(X, Z, y, Lam, "REML"), expected, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seeds, st.booleans(), st.sampled_from(["ML", "REML"]))
def test_fitter_objective_matches_dense_reference(seed, vector, method):
    X, y, terms, theta, Z, Lam = _dense_parts(seed, vector)
    got = PLS(X, y, terms).objective(theta, reml=method == "REML")
    np.testing.assert_allclose(got, profiled_deviance_dense(X, Z, y, Lam, method), rtol=1e-10)


def test_profiled_sigma2_maximises_likelihood():
    X, y, _, _, Z, Lam = _dense_parts(7)
    sol = pls_dense(X, Z, y, Lam)
    s2 = sol.pwrss / y.size
    best = loglik_ml(y, X, _V(Z, Lam, s2), beta=sol.beta)
    for factor in (0.9, 1.1):
        assert loglik_ml(y, X, _V(Z, Lam, factor * s2), beta=sol.beta) < best


def test_deviance_at_zero_theta_is_ordinary_regression():
    X, y, _, _, Z, Lam = _dense_parts(8)
    rss = float(np.sum((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2))
    n = y.size
    np.testing.assert_allclose(
        profiled_deviance_dense(X, Z, y, 0 * Lam), n * (1 + np.log(2 * np.pi * rss / n)), rtol=1e-12
    )


def test_one_way_logdet_closed_form():
    rng = np.random.default_rng(11)
    codes = np.repeat(np.arange(4), [2, 3, 5, 7])
    term = _term("g", codes, 4, np.ones((codes.size, 1)), ("Intercept",))
    Z = random_effects_matrix([term]).toarray()
    theta = 0.7
    sol = pls_dense(np.ones((codes.size, 1)), Z, rng.normal(size=codes.size), theta * np.eye(4))
    n_i = np.array([2, 3, 5, 7])
    np.testing.assert_allclose(sol.logdet_L, np.log(1 + theta**2 * n_i).sum(), rtol=1e-12)


def test_method_must_be_known():
    X, y, _, _, Z, Lam = _dense_parts(9)
    with pytest.raises(ValueError, match="method must be 'ML' or 'REML'"):
        profiled_deviance_dense(X, Z, y, Lam, "OLS")


def test_lambda_shape_must_match_Z():
    X, y, _, _, Z, Lam = _dense_parts(10)
    with pytest.raises(ValueError, match="Lambda must be"):
        pls_dense(X, Z, y, Lam[:-1, :-1])


def test_rank_deficient_X_raises():
    X, y, _, _, Z, Lam = _dense_parts(11)
    with pytest.raises(ValueError, match="rank deficient"):
        pls_dense(np.column_stack([X, X[:, 0]]), Z, y, Lam)


# -- building terms from data --------------------------------------------------------
def test_remat_from_data_matches_lmm_terms():
    from lmmtext.datasets import load_sleepstudy
    from lmmtext.lmm import lmm

    data = load_sleepstudy()
    term = remat_from_data(data, "Subject", ["Days"])
    X = np.column_stack([np.ones(len(data)), data["Days"]])
    system = PLS(X, data["Reaction"].to_numpy(float), [term])
    fit = lmm("Reaction ~ 1 + Days + (1 + Days | Subject)", data)
    np.testing.assert_allclose(system.objective(fit.theta, reml=True), fit.reml_criterion, rtol=1e-12)
    assert list(term.levels) == list(fit.ranef["Subject"].index)


def test_remat_from_data_drops_unused_levels():
    data = pd.DataFrame({"g": pd.Categorical(["a", "c"], categories=["a", "b", "c"])})
    assert list(remat_from_data(data, "g").levels) == ["a", "c"]


def test_remat_from_data_missing_column_raises():
    with pytest.raises(ValueError, match="not found in data"):
        remat_from_data(pd.DataFrame({"g": ["a", "b"]}), "h")


def test_remat_from_data_one_level_raises():
    with pytest.raises(ValueError, match="at least two"):
        remat_from_data(pd.DataFrame({"g": ["a", "a"]}), "g")
