"""The computing core: the blocked penalised least squares equals the dense textbook formulae."""
import numpy as np
import pandas as pd
import pytest

import lmmtext.pls as pls
from lmmtext.remat import ReMat


def term(name, codes, values, cnames):
    levels = pd.Index(np.unique(codes))
    _, inverse = np.unique(codes, return_inverse=True)
    return ReMat.from_factor(name, inverse, levels, np.asarray(values, float).reshape(len(codes), -1), cnames)


def crossed_system(rng, first_vector=False, second_vector=False):
    """Two large crossed factors (sparse block between them) and a small third one."""
    n, n_a, n_b, n_c = 2500, 700, 350, 6
    a, b, c = rng.integers(n_a, size=n), rng.integers(n_b, size=n), rng.integers(n_c, size=n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + rng.normal(size=n_a)[a] + rng.normal(size=n_b)[b] + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    cols = np.column_stack([np.ones(n), x])
    terms = [
        term("a", a, cols if first_vector else np.ones(n), ("Intercept", "x") if first_vector else ("Intercept",)),
        term("b", b, cols if second_vector else np.ones(n), ("Intercept", "x") if second_vector else ("Intercept",)),
        term("c", c, np.ones(n), ("Intercept",)),
    ]
    return X, y, terms


def dense_deviance(X, y, terms, theta, reml):
    """-2 profiled log-likelihood from V = Z Lambda Lambda' Z' + I (Bates et al. 2015, sec. 3)."""
    blocks, start = [], 0
    for t in terms:
        T = t.lambda_factor(theta[start:start + t.n_theta])
        start += t.n_theta
        blocks.append(t.Z.toarray() @ np.kron(np.eye(t.n_levels), T))
    ZL = np.hstack(blocks)
    n, p = X.shape
    V = ZL @ ZL.T + np.eye(n)
    Vinv_X = np.linalg.solve(V, X)
    beta = np.linalg.solve(X.T @ Vinv_X, Vinv_X.T @ y)
    r = y - X @ beta
    rss = r @ np.linalg.solve(V, r)
    df = n - p if reml else n
    out = np.linalg.slogdet(V)[1] + df * (1 + np.log(2 * np.pi * rss / df))
    return out + np.linalg.slogdet(X.T @ Vinv_X)[1] if reml else out


@pytest.mark.parametrize("first_vector,second_vector", [(False, False), (False, True), (True, False)])
def test_sparse_blocks_give_the_criterion_of_dense_blocks(first_vector, second_vector, monkeypatch):
    X, y, terms = crossed_system(np.random.default_rng(1), first_vector, second_vector)
    system = pls.PLS(X, y, terms)
    assert any(hasattr(system._A[i, 0], "nnz") for i in range(1, 3))  # a sparse block is in use
    theta = np.linspace(0.3, 0.9, system.theta_start().size)
    sparse_values = [system.objective(theta, reml) for reml in (True, False)]
    monkeypatch.setattr(pls, "DENSE_MAX", 10**12)
    monkeypatch.setattr(pls, "GRAM_MAX", 0)
    dense = pls.PLS(X, y, terms)
    np.testing.assert_allclose(sparse_values, [dense.objective(theta, reml) for reml in (True, False)], rtol=1e-12)


@pytest.mark.parametrize("reml", [True, False])
def test_blocked_criterion_equals_dense_formula(reml):
    rng = np.random.default_rng(3)
    n = 120
    g, h = rng.integers(8, size=n), rng.integers(5, size=n)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = X @ [1.0, 2.0] + rng.normal(size=8)[g] + rng.normal(size=n)
    terms = [term("g", g, np.column_stack([np.ones(n), x]), ("Intercept", "x")), term("h", h, np.ones(n), ("Intercept",))]
    system = pls.PLS(X, y, terms)
    theta = np.array([0.8, -0.3, 0.5, 1.2])
    np.testing.assert_allclose(system.objective(theta, reml), dense_deviance(X, y, terms, theta, reml), rtol=1e-11)


def test_solution_satisfies_the_mixed_model_equations():
    rng = np.random.default_rng(4)
    X, y, terms = crossed_system(rng)
    system = pls.PLS(X, y, terms)
    theta = np.array([0.6, 0.8, 0.4])
    sol = system.solve(theta, reml=True)
    # With b = Lambda u: (Z'Z + Lambda^{-2}) b + Z'X beta = Z'y for scalar terms.
    Z = np.hstack([t.Z.toarray() for t in terms])
    b = np.concatenate(sol.b)
    lam = np.concatenate([np.full(t.q, th) for t, th in zip(terms, theta)])
    lhs = Z.T @ Z @ b + b / lam**2 + Z.T @ X @ sol.beta
    np.testing.assert_allclose(lhs, Z.T @ y, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(X.T @ (y - sol.fitted), 0.0, atol=1e-8)


def test_zero_theta_is_allowed_in_the_criterion():
    X, y, terms = crossed_system(np.random.default_rng(2))
    system = pls.PLS(X, y, terms)
    value = system.objective(np.array([0.0, 0.5, 0.0]), reml=False)
    assert np.isfinite(value)


def small_system(rng, reml_offset=0.0):
    """A vector term and a crossed scalar term, small enough for the dense criterion."""
    n = 90
    g, h = rng.integers(7, size=n), rng.integers(4, size=n)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = reml_offset + X @ [1.0, 2.0] + rng.normal(size=7)[g] + 0.3 * rng.normal(size=7)[g] * x + rng.normal(size=n)
    terms = [term("g", g, np.column_stack([np.ones(n), x]), ("Intercept", "x")), term("h", h, np.ones(n), ("Intercept",))]
    return X, y, terms


@pytest.mark.parametrize("reml", [True, False])
def test_dense_criterion_equals_blocked_criterion(reml, monkeypatch):
    X, y, terms = small_system(np.random.default_rng(7))
    dense = pls.PLS(X, y, terms)
    assert dense.has_gradient
    monkeypatch.setattr(pls, "DENSE_CRITERION_MAX", 0)
    blocked = pls.PLS(X, y, terms)
    assert not blocked.has_gradient
    for theta in (np.array([0.8, -0.3, 0.5, 1.2]), np.array([0.0, 0.4, 0.0, 0.0]), np.array([-0.5, 0.2, 0.1, 2.0])):
        np.testing.assert_allclose(dense.objective(theta, reml), blocked.objective(theta, reml), rtol=1e-12)


@pytest.mark.parametrize("reml", [True, False])
def test_exact_gradient_equals_central_differences(reml):
    X, y, terms = small_system(np.random.default_rng(8))
    system = pls.PLS(X, y, terms)
    theta = np.array([0.8, -0.3, 0.5, 1.2])
    value, gradient = system.objective_gradient(theta, reml)
    assert value == system.objective(theta, reml)
    h = 1e-5
    numeric = [(system.objective(theta + h * e, reml) - system.objective(theta - h * e, reml)) / (2 * h)
               for e in np.eye(theta.size)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-7)


def test_criterion_of_a_response_far_from_zero_is_not_noisy():
    # y and y + 10^4 differ by X beta, so their criteria are equal; the raw y'y of the shifted
    # response would cost ~8 digits in r^2 without the least-squares shift.
    X, y, terms = small_system(np.random.default_rng(9))
    near, far = pls.PLS(X, y, terms), pls.PLS(X, y + 1e4, terms)
    theta = np.array([0.8, -0.3, 0.5, 1.2])
    np.testing.assert_allclose(far.objective(theta, True), near.objective(theta, True), rtol=1e-13)
    np.testing.assert_allclose(far.solve(theta, True).beta - near.solve(theta, True).beta, [1e4, 0.0], atol=1e-9)


def test_single_threaded_blas_limits_every_blas_library_to_one_thread():
    from threadpoolctl import threadpool_info

    with pls.single_threaded_blas():
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}


@pytest.mark.parametrize("reml", [True, False])
def test_dense_solution_equals_blocked_solution(reml, monkeypatch):
    X, y, terms = small_system(np.random.default_rng(10))
    theta = np.array([0.8, -0.3, 0.5, 1.2])
    dense = pls.PLS(X, y, terms).solve(theta, reml)
    monkeypatch.setattr(pls, "DENSE_CRITERION_MAX", 0)
    blocked = pls.PLS(X, y, terms).solve(theta, reml)
    for field in ("beta", "beta_cov_unscaled", "fitted"):
        np.testing.assert_allclose(getattr(dense, field), getattr(blocked, field), rtol=1e-10, atol=1e-12)
    for a, b in zip(dense.u + dense.b, blocked.u + blocked.b):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([dense.pwrss, dense.logdet_L, dense.logdet_RX, dense.objective],
                               [blocked.pwrss, blocked.logdet_L, blocked.logdet_RX, blocked.objective], rtol=1e-12)


def test_dense_gram_matrix_equals_the_sparse_one(monkeypatch):
    X, y, terms = small_system(np.random.default_rng(11))
    dense_products = pls._DenseCriterion(X, y, terms).G
    monkeypatch.setattr(pls, "DENSE_Z_MAX", 0)
    np.testing.assert_allclose(pls._DenseCriterion(X, y, terms).G, dense_products, rtol=1e-13, atol=1e-12)


def test_criterion_and_gradient_are_infinite_where_the_factor_breaks_down(monkeypatch):
    X, y, terms = small_system(np.random.default_rng(1))
    system = pls.PLS(X, y, terms)

    def breaks_down(self, theta):
        raise np.linalg.LinAlgError("not positive definite")

    monkeypatch.setattr(pls._DenseCriterion, "factor", breaks_down)
    value, gradient = system.objective_gradient(np.ones(4), True)
    assert value == np.inf and system.objective(np.ones(4), True) == np.inf
    assert np.all(gradient == 0.0)


def test_derivatives_over_no_free_parameter_are_empty():
    # A face of the boundary that holds every component of theta leaves nothing free; the
    # convergence checks must then see an empty gradient and Hessian, not fail
    # (two of 16,000 refits in the power study of Chapter 14 reached such a face).
    from lmmtext.pls import _derivatives

    g, H = _derivatives(lambda t: 1.0, lambda t: (1.0, np.zeros(0)), True, np.zeros(0), 1.0)
    assert g.shape == (0,) and H.shape == (0, 0)
    g, H = _derivatives(lambda t: 1.0, None, False, np.zeros(0), 1.0)
    assert g.shape == (0,) and H.shape == (0, 0)


def test_scaled_gradient_of_nothing_free_passes_the_checks():
    from lmmtext.pls import _convergence_message, _scaled_gradient

    scaled, min_eigenvalue = _scaled_gradient(np.zeros(0), np.zeros((0, 0)))
    assert _convergence_message(scaled, min_eigenvalue)[0]
