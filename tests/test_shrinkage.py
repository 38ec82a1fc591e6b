"""Specifications for lmmtext.shrinkage: James-Stein and empirical Bayes (Chapter 6)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lmmtext.datasets import load_baseball
from lmmtext.oneway import anova_estimates, blup, group_means, shrinkage_factor, simulate_oneway
from lmmtext.shrinkage import (
    arcsine_transform,
    empirical_bayes,
    inverse_arcsine_transform,
    james_stein,
    james_stein_factor,
)

means = st.lists(st.floats(-100, 100), min_size=3, max_size=20)


# --- james_stein -------------------------------------------------------------

def test_james_stein_factor_with_a_given_centre_uses_k_minus_2():
    x = np.array([3.0, -1.0, 2.0, 0.5, -2.5])
    S = np.sum((x - 1.0) ** 2)
    assert james_stein_factor(x, 2.0, centre=1.0) == pytest.approx(1 - 3 * 2.0 / S)


def test_james_stein_factor_about_the_mean_uses_k_minus_3():
    x = np.array([3.0, -1.0, 2.0, 0.5, -2.5])
    S = np.sum((x - x.mean()) ** 2)
    assert james_stein_factor(x, 2.0) == pytest.approx(1 - 2 * 2.0 / S)


def test_james_stein_shrinks_toward_the_centre_by_the_factor():
    x = np.array([3.0, -1.0, 2.0, 0.5, -2.5])
    c = james_stein_factor(x, 0.5)
    np.testing.assert_allclose(james_stein(x, 0.5), x.mean() + c * (x - x.mean()))


def test_james_stein_keeps_the_mean_of_x_when_shrinking_toward_it():
    x = np.array([3.0, -1.0, 2.0, 0.5, -2.5, 7.0])
    assert james_stein(x, 1.0).mean() == pytest.approx(x.mean())


def test_positive_part_factor_is_truncated_at_zero():
    x = [0.1, -0.1, 0.05, 0.0]
    assert james_stein_factor(x, 1.0, centre=0.0) < 0
    assert james_stein_factor(x, 1.0, centre=0.0, positive_part=True) == 0.0
    np.testing.assert_array_equal(james_stein(x, 1.0, centre=0.0, positive_part=True), 0.0)


@given(x=means, sigma2=st.floats(1e-3, 1e3))
def test_positive_part_estimate_lies_between_centre_and_x(x, sigma2):
    x = np.asarray(x)
    if np.sum((x - x.mean()) ** 2) < 1e-9:
        return
    est = james_stein(x, sigma2, positive_part=True)
    lo, hi = np.minimum(x, x.mean()), np.maximum(x, x.mean())
    assert np.all(est >= lo - 1e-9) and np.all(est <= hi + 1e-9)


@pytest.mark.parametrize("k", [3, 5, 10])
def test_james_stein_has_lower_total_squared_error_than_x_for_k_at_least_3(k):
    rng = np.random.default_rng(60 + k)
    theta = rng.normal(0, 1, size=k)          # fixed truth, shrink toward 0
    x = theta + rng.normal(0, 1, size=(20_000, k))
    js = np.array([james_stein(row, 1.0, centre=0.0) for row in x])
    risk_x = np.mean(np.sum((x - theta) ** 2, axis=1))
    risk_js = np.mean(np.sum((js - theta) ** 2, axis=1))
    assert risk_x == pytest.approx(k, rel=0.03)
    assert risk_js < 0.97 * risk_x


def test_james_stein_risk_formula_k_sigma2_minus_k_minus_2_squared_sigma4_e_inv_s():
    """Stein's identity at theta = 0: S / sigma^2 ~ chi2_k, E[1/S] = 1 / ((k - 2) sigma^2)."""
    k, sigma2 = 6, 2.0
    rng = np.random.default_rng(66)
    x = rng.normal(0, np.sqrt(sigma2), size=(40_000, k))
    js = np.array([james_stein(row, sigma2, centre=0.0) for row in x])
    risk = np.mean(np.sum(js**2, axis=1))
    assert risk == pytest.approx(k * sigma2 - (k - 2) * sigma2, rel=0.05)


def test_positive_part_james_stein_is_no_worse_than_james_stein():
    k = 5
    rng = np.random.default_rng(65)
    theta = rng.normal(0, 0.3, size=k)
    x = theta + rng.normal(0, 1, size=(10_000, k))
    plain = np.array([james_stein(r, 1.0) for r in x])
    plus = np.array([james_stein(r, 1.0, positive_part=True) for r in x])
    assert np.sum((plus - theta) ** 2) < np.sum((plain - theta) ** 2)


@pytest.mark.parametrize(
    "x, sigma2, exc, match",
    [([1.0, 2.0], 1.0, ValueError, "at least three"),
     ([1.0, 2.0, np.nan], 1.0, ValueError, "NaN"),
     ([1.0, 2.0, 3.0], 0.0, ValueError, "sigma2"),
     ([1.0, 2.0, 3.0], "a", TypeError, "sigma2"),
     ([2.0, 2.0, 2.0], 1.0, ValueError, "spread")],
)
def test_james_stein_rejects_bad_input(x, sigma2, exc, match):
    with pytest.raises(exc, match=match):
        james_stein(x, sigma2)


# --- empirical_bayes ---------------------------------------------------------

def test_empirical_bayes_with_known_prior_is_the_posterior_mean():
    eb = empirical_bayes([1.0, 4.0, -2.0], 2.0, centre=1.0, tau2=6.0)
    np.testing.assert_allclose(eb.estimate, 1.0 + 0.75 * (np.array([1.0, 4.0, -2.0]) - 1.0))
    assert eb.factor == 0.75


def test_empirical_bayes_moment_estimate_of_tau2():
    x = np.array([3.0, -1.0, 2.0, 0.5, -2.5])
    eb = empirical_bayes(x, 1.0)
    assert eb.tau2 == pytest.approx(np.var(x, ddof=1) - 1.0)
    assert eb.centre == pytest.approx(x.mean())


def test_empirical_bayes_tau2_is_truncated_at_zero():
    eb = empirical_bayes([0.1, -0.1, 0.0, 0.05], 1.0)
    assert eb.tau2 == 0.0 and eb.factor == 0.0
    np.testing.assert_allclose(eb.estimate, eb.centre)


@settings(max_examples=30, deadline=None)
@given(a=st.integers(3, 8), n=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_empirical_bayes_on_group_means_is_the_blup_with_anova_estimates(a, n, seed):
    y, g = simulate_oneway([n] * a, 5.0, 2.0, 1.0, np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = anova_estimates(y, g)
    eb = empirical_bayes(group_means(y, g), est.sigma2 / n)
    assert eb.tau2 == pytest.approx(est.sigma_a2_truncated, abs=1e-9)
    expected = blup(y, g, est.sigma_a2_truncated, est.sigma2).to_numpy()
    np.testing.assert_allclose(eb.estimate - eb.centre, expected, atol=1e-9)
    assert eb.factor == pytest.approx(shrinkage_factor(est.sigma_a2_truncated, est.sigma2, n))


def test_empirical_bayes_rejects_negative_tau2():
    with pytest.raises(ValueError, match="tau2"):
        empirical_bayes([1.0, 2.0, 3.0], 1.0, tau2=-1.0)


# --- arcsine transform and the baseball data ---------------------------------

def test_arcsine_transform_of_a_binomial_proportion_has_variance_near_one():
    n = 45
    for p in (0.2, 0.27, 0.35):
        h = np.arange(n + 1)
        f = arcsine_transform(h / n, n)
        w = stats.binom.pmf(h, n, p)
        var = np.sum(w * f**2) - np.sum(w * f) ** 2
        assert var == pytest.approx(1.0, abs=0.06)


@given(p=st.floats(0.0, 1.0), n=st.integers(1, 500))
def test_inverse_arcsine_transform_undoes_it(p, n):
    assert inverse_arcsine_transform(arcsine_transform([p], n), n)[0] == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("p, n, match", [([1.2], 45, "outside"), ([0.3], 0, "positive integer")])
def test_arcsine_transform_rejects_bad_input(p, n, match):
    with pytest.raises(ValueError, match=match):
        arcsine_transform(p, n)


def test_inverse_arcsine_transform_rejects_values_outside_its_range():
    with pytest.raises(ValueError, match="range"):
        inverse_arcsine_transform([20.0], 45)


def test_baseball_james_stein_has_under_a_third_of_the_raw_squared_error():
    """Efron and Morris (1975) report about a third; here 17.57 vs 5.00 on the arcsine scale."""
    b = load_baseball()
    x = arcsine_transform(b["hits"] / b["at_bats"], 45)
    theta = arcsine_transform(b["rest_avg"], 45)
    js = james_stein(x, 1.0)
    raw, shrunk = np.sum((x - theta) ** 2), np.sum((js - theta) ** 2)
    assert raw == pytest.approx(17.57, abs=0.01)
    assert shrunk == pytest.approx(5.00, abs=0.01)
    assert shrunk / raw < 1 / 3
