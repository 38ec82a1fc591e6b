"""lmmtext.inference: likelihood-ratio tests, the boundary mixture, simulate and the parametric bootstrap.

Reference values from lme4 1.1-31 on R 4.2.2 (Rscript, computed 2026-11-25):
  anova(lmer(Reaction ~ 1 + (Days|Subject), sleepstudy, REML=FALSE),
        lmer(Reaction ~ Days + (Days|Subject), sleepstudy, REML=FALSE))
      Chisq 23.53654, Df 1, Pr(>Chisq) 1.2256e-06, logLik -887.737941 and -875.9696722
  logLik(lmer(Yield ~ 1 + (1|Batch), Dyestuff, REML=FALSE)) = -163.6635299
  logLik(lm(Yield ~ 1, Dyestuff)) = -166.364943;  logLik(..., REML=TRUE) = -163.0116161
  REML logLik of Reaction ~ Days + (1|Subject) = -893.2325427,
      of Reaction ~ Days + (1|Subject) + (0+Days|Subject) = -871.8346468
  summary(lmer(Yield ~ 1 + (1|Batch), Dyestuff)): t value 78.80449458
  Parametric bootstrap of the Dyestuff ML LRT (lme4, 4,000 replicates, set.seed(1)):
      p = 0.0042, P(T* = 0) = 0.661, 95% quantile of T* = 1.66
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.datasets import load_dyestuff, load_dyestuff2, load_pastes, load_sleepstudy
from lmmtext.inference import (
    boundary_p_value, fit, lrt, lrt_boundary, ols, parametric_bootstrap, simulate, wald,
)
from lmmtext.lmm import lmm


@pytest.fixture(scope="module")
def sleep_ml():
    s = load_sleepstudy()
    return (fit("Reaction ~ 1 + (Days | Subject)", s, "ML"),
            fit("Reaction ~ Days + (Days | Subject)", s, "ML"))


@pytest.fixture(scope="module")
def dyestuff_boot():
    return parametric_bootstrap("Yield ~ 1", "Yield ~ 1 + (1 | Batch)", load_dyestuff(), 150,
                                np.random.default_rng(2026))


def oneway_frame(y, a, m):
    return pd.DataFrame({"y": y, "g": pd.Categorical(np.repeat(np.arange(a), m).astype(str))})


# -- likelihood-ratio test ------------------------------------------------------------------
def test_lrt_statistic_df_and_p_value_match_lme4_anova(sleep_ml):
    m0, m1 = sleep_ml
    t = lrt(m0, m1)
    np.testing.assert_allclose([m0.loglik, m1.loglik], [-887.737941, -875.9696722], rtol=1e-8)
    np.testing.assert_allclose(t.statistic, 23.53654, rtol=1e-5)
    assert t.df == 1
    np.testing.assert_allclose(t.p_value, 1.2256e-06, rtol=1e-3)


def test_lrt_statistic_is_twice_the_loglik_difference(sleep_ml):
    m0, m1 = sleep_ml
    assert lrt(m0, m1).statistic == pytest.approx(2 * (m1.loglik - m0.loglik), rel=1e-12)


def test_lrt_df_is_the_difference_in_parameter_counts():
    s = load_sleepstudy()
    m0 = fit("Reaction ~ Days + (1 | Subject)", s, "ML")
    m1 = fit("Reaction ~ Days + (Days | Subject)", s, "ML")
    assert (m0.n_params, m1.n_params) == (4, 6)
    t = lrt(m0, m1)
    assert t.df == 2
    assert t.p_value == pytest.approx(scipy.stats.chi2.sf(t.statistic, 2))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sd_a=st.sampled_from([0.0, 0.3, 1.0]))
def test_lrt_statistic_is_nonnegative_for_nested_fits(seed, sd_a):
    rng = np.random.default_rng(seed)
    a, m = 8, 3
    y = np.repeat(sd_a * rng.standard_normal(a), m) + rng.standard_normal(a * m)
    d = oneway_frame(y, a, m)
    null, alt = fit("y ~ 1", d, "ML"), fit("y ~ 1 + (1 | g)", d, "ML")
    assert alt.loglik - null.loglik >= -1e-7
    assert lrt(null, alt).statistic >= 0


def test_lrt_refuses_reml_fits_with_different_fixed_effects():
    s = load_sleepstudy()
    m0 = fit("Reaction ~ 1 + (1 | Subject)", s, "REML")
    m1 = fit("Reaction ~ Days + (1 | Subject)", s, "REML")
    with pytest.raises(ValueError, match="REML"):
        lrt(m0, m1)


def test_lrt_refuses_fits_by_different_criteria(sleep_ml):
    s = load_sleepstudy()
    with pytest.raises(ValueError, match="different criteria"):
        lrt(sleep_ml[0], fit("Reaction ~ Days + (Days | Subject)", s, "REML"))


def test_lrt_refuses_the_larger_model_first(sleep_ml):
    with pytest.raises(ValueError, match="more parameters"):
        lrt(sleep_ml[1], sleep_ml[0])


def test_lrt_rejects_non_fits():
    with pytest.raises(TypeError, match="null_fit"):
        lrt(1.0, 2.0)


# -- the boundary: 50:50 mixture ------------------------------------------------------------
def test_boundary_p_value_is_half_the_chi2_1_tail():
    for t in [0.1, 1.0, 2.7055, 3.8415, 10.0]:
        assert boundary_p_value(t) == pytest.approx(0.5 * scipy.stats.chi2.sf(t, 1))
    assert boundary_p_value(2.7055) == pytest.approx(0.05, abs=1e-5)


def test_boundary_p_value_is_one_at_zero_and_rejects_negative():
    assert boundary_p_value(0.0) == 1.0
    with pytest.raises(ValueError, match="non-negative"):
        boundary_p_value(-1.0)


def test_boundary_p_value_for_a_correlated_slope_mixes_chi2_1_and_chi2_2():
    """Stram and Lee (1994): (1 | g) against (1 + x | g) gives 0.5 chi2_1 + 0.5 chi2_2."""
    for t in [0.1, 1.0, 5.1380, 10.0]:
        expected = 0.5 * scipy.stats.chi2.sf(t, 1) + 0.5 * scipy.stats.chi2.sf(t, 2)
        assert boundary_p_value(t, df=2) == pytest.approx(expected)
    assert boundary_p_value(5.1380, df=2) == pytest.approx(0.05, abs=1e-4)
    assert boundary_p_value(0.0, df=2) == 1.0


def test_boundary_p_value_lies_below_the_naive_chi2_p_value():
    for df in (1, 2, 3):
        for t in [0.5, 2.0, 8.0]:
            assert boundary_p_value(t, df=df) < scipy.stats.chi2.sf(t, df)


@pytest.mark.parametrize("df", [0, -1, 1.5, True])
def test_boundary_p_value_rejects_a_df_that_is_not_a_positive_integer(df):
    with pytest.raises(ValueError, match="df must be a positive integer"):
        boundary_p_value(1.0, df=df)


def test_lrt_boundary_matches_lme4_for_dyestuff():
    d = load_dyestuff()
    t = lrt_boundary(fit("Yield ~ 1", d), fit("Yield ~ 1 + (1 | Batch)", d))
    np.testing.assert_allclose(t.statistic, 2 * (-163.6635299 + 166.364943), rtol=1e-6)
    assert t.p_value == pytest.approx(0.5 * lrt(fit("Yield ~ 1", d), fit("Yield ~ 1 + (1 | Batch)", d)).p_value)


def test_lrt_boundary_with_reml_fits_matches_lme4_for_sleepstudy_slopes():
    s = load_sleepstudy()
    r0 = fit("Reaction ~ Days + (1 | Subject)", s, "REML")
    r1 = fit("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", s, "REML")
    t = lrt_boundary(r0, r1)
    np.testing.assert_allclose(t.statistic, 2 * (-871.8346468 + 893.2325427), rtol=1e-6)
    assert t.p_value == pytest.approx(0.5 * scipy.stats.chi2.sf(t.statistic, 1))


def test_lrt_boundary_refuses_more_than_one_extra_parameter():
    s = load_sleepstudy()
    with pytest.raises(ValueError, match="one variance component"):
        lrt_boundary(fit("Reaction ~ Days + (1 | Subject)", s, "ML"),
                     fit("Reaction ~ Days + (Days | Subject)", s, "ML"))


def test_lrt_boundary_refuses_a_fixed_effect_as_the_extra_parameter():
    """The slope's null value 0 is inside the parameter space: halving chi2(1) would be wrong."""
    s = load_sleepstudy()
    with pytest.raises(ValueError, match="differ in their fixed effects"):
        lrt_boundary(fit("Reaction ~ 1 + (1 | Subject)", s, "ML"),
                     fit("Reaction ~ Days + (1 | Subject)", s, "ML"))


def test_lrt_boundary_refuses_a_covariance_as_the_extra_parameter():
    s = load_sleepstudy()
    with pytest.raises(ValueError, match="not one variance"):
        lrt_boundary(fit("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", s, "REML"),
                     fit("Reaction ~ Days + (Days | Subject)", s, "REML"))


def test_boundary_p_values_are_roughly_uniform_under_a_zero_variance_and_chi2_1_is_conservative():
    """Seeded simulation: 200 data sets of 20 groups x 4 with sigma_a = 0, REML fits.

    The mixture p-value should reject at about the nominal rate: within 3 binomial
    standard errors of alpha = 0.1 and 0.25 (sd 0.021 and 0.031).  The naive chi2_1
    p-value is twice the mixture's, so it rejects about half as often (0.125 at 0.25).
    """
    rng = np.random.default_rng(20261125)
    a, m, n_rep = 20, 4, 200
    p_mix, p_naive = [], []
    for _ in range(n_rep):
        d = oneway_frame(10 + rng.standard_normal(a * m), a, m)
        t = lrt_boundary(fit("y ~ 1", d, "REML"), fit("y ~ 1 + (1 | g)", d, "REML"))
        p_mix.append(t.p_value)
        p_naive.append(scipy.stats.chi2.sf(t.statistic, 1))
    p_mix, p_naive = np.array(p_mix), np.array(p_naive)
    for alpha in (0.1, 0.25):
        se = np.sqrt(alpha * (1 - alpha) / n_rep)
        assert abs(np.mean(p_mix <= alpha) - alpha) < 3 * se
        assert np.mean(p_naive <= alpha) < alpha - 2 * se


# -- OLS null and Wald ------------------------------------------------------------------------
def test_ols_loglik_matches_r_lm_by_ml_and_reml():
    d = load_dyestuff()
    np.testing.assert_allclose(ols("Yield ~ 1", d, "ML").loglik, -166.364943, rtol=1e-8)
    np.testing.assert_allclose(ols("Yield ~ 1", d, "REML").loglik, -163.0116161, rtol=1e-8)


@pytest.mark.parametrize("method", ["ML", "REML"])
def test_ols_is_the_mixed_model_with_zero_variance(method):
    d = load_dyestuff2()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        singular = lmm("Yield ~ 1 + (1 | Batch)", d, method=method)
    assert singular.singular
    o = ols("Yield ~ 1", d, method)
    np.testing.assert_allclose(o.loglik, singular.loglik, rtol=1e-10)
    np.testing.assert_allclose(o.fixef_se, singular.fixef_se, rtol=1e-8)


def test_ols_refuses_random_terms():
    with pytest.raises(ValueError, match="random-effects"):
        ols("Yield ~ 1 + (1 | Batch)", load_dyestuff())


def test_wald_z_is_estimate_over_standard_error():
    f = fit("Yield ~ 1 + (1 | Batch)", load_dyestuff(), "REML")
    w = wald(f)
    np.testing.assert_allclose(w.loc["Intercept", "z"], 78.80449458, rtol=1e-5)
    np.testing.assert_allclose(w["p_value"], 2 * scipy.stats.norm.sf(np.abs(f.fixef / f.fixef_se)))


# -- simulate -------------------------------------------------------------------------------
def test_simulate_reproduces_the_marginal_covariance_of_a_random_slope_model():
    """2,000 simulated subjects x 10 days: sample covariance of y_i within 0.1 on the correlation scale."""
    s = load_sleepstudy()
    f = fit("Reaction ~ Days + (Days | Subject)", s, "REML")
    n_sub, days = 2000, np.arange(10)
    big = pd.DataFrame({"Subject": np.repeat(np.arange(n_sub), 10), "Days": np.tile(days, n_sub)})
    y = simulate(f, big, np.random.default_rng(1)).reshape(n_sub, 10)
    Zi = np.column_stack([np.ones(10), days])
    V = Zi @ f.covariance["Subject"].to_numpy() @ Zi.T + f.sigma2 * np.eye(10)
    S = np.cov(y, rowvar=False)
    scale = np.sqrt(np.outer(np.diag(V), np.diag(V)))
    assert np.abs((S - V) / scale).max() < 0.1
    mean = f.fixef["Intercept"] + f.fixef["Days"] * days
    assert np.abs(y.mean(axis=0) - mean).max() < 4 * np.sqrt(np.diag(V).max() / n_sub)


def test_simulate_reproduces_the_nested_covariance():
    """Pastes design with 1,000 batches: cov of same cask, same batch, and variance as eq. (9.6)."""
    f = fit("strength ~ 1 + (1 | batch/cask)", load_pastes(), "REML")
    n_b = 1000
    big = pd.DataFrame({"batch": np.repeat(np.arange(n_b), 6),
                        "cask": np.tile(np.repeat(["a", "b", "c"], 2), n_b)})
    y = simulate(f, big, np.random.default_rng(2)).reshape(n_b, 6)
    S = np.cov(y, rowvar=False)
    vb, vc = f.covariance["batch"].iat[0, 0], f.covariance["batch:cask"].iat[0, 0]
    total = vb + vc + f.sigma2
    same_cask = np.mean([S[0, 1], S[2, 3], S[4, 5]])
    same_batch = np.mean([S[0, 2], S[0, 4], S[2, 4], S[1, 3], S[1, 5], S[3, 5]])
    np.testing.assert_allclose(np.mean(np.diag(S)), total, rtol=0.1)
    np.testing.assert_allclose(same_cask, vb + vc, rtol=0.1)
    np.testing.assert_allclose(same_batch, vb, atol=0.1 * total)


def test_simulate_is_reproducible_with_the_same_seed():
    d = load_dyestuff()
    f = fit("Yield ~ 1 + (1 | Batch)", d)
    np.testing.assert_array_equal(simulate(f, d, np.random.default_rng(5)),
                                  simulate(f, d, np.random.default_rng(5)))


def test_simulate_refuses_an_unseen_fixed_effect_level_and_bad_rng():
    s = load_sleepstudy().assign(late=lambda f: np.where(f["Days"] > 4, "yes", "no"))
    f = fit("Reaction ~ late + (Days | Subject)", s, "REML")
    with pytest.raises(ValueError, match=r"level\(s\) \['maybe'\]"):
        simulate(f, s.assign(late="maybe"), np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        simulate(f, s, 42)


# -- parametric bootstrap -------------------------------------------------------------------
def test_bootstrap_p_value_is_one_plus_exceedances_over_n_plus_one(dyestuff_boot):
    r = dyestuff_boot
    assert r.n_boot == 150
    assert r.p_value == (1 + np.sum(r.replicates >= r.statistic)) / 151
    assert (r.replicates >= 0).all()


def test_bootstrap_null_distribution_agrees_with_lme4(dyestuff_boot):
    """lme4 (4,000 replicates): P(T* = 0) = 0.661, q95 = 1.66, p = 0.0042 (T = 5.40)."""
    r = dyestuff_boot
    assert abs(np.mean(r.replicates < 1e-6) - 0.661) < 0.12
    assert 0.9 < np.quantile(r.replicates, 0.95) < 2.7
    assert r.p_value < 0.04


def test_bootstrap_is_reproducible_with_the_same_seed():
    d = load_dyestuff()
    a = parametric_bootstrap("Yield ~ 1", "Yield ~ 1 + (1 | Batch)", d, 4, np.random.default_rng(7))
    b = parametric_bootstrap("Yield ~ 1", "Yield ~ 1 + (1 | Batch)", d, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(a.replicates, b.replicates)


@pytest.mark.parametrize("n_boot, exc", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_bootstrap_validates_n_boot(n_boot, exc):
    with pytest.raises(exc, match="n_boot"):
        parametric_bootstrap("Yield ~ 1", "Yield ~ 1 + (1 | Batch)", load_dyestuff(), n_boot,
                             np.random.default_rng(0))


def test_balanced_random_slopes_reduce_the_slope_tests_to_a_one_sample_t():
    """Chapter 10: with Z_i = X_i and equal designs, z^2 = m t^2/(m-1) and T = m log(1 + t^2/(m-1)).

    ``t`` is the REML Wald statistic, equal to the one-sample t statistic of the m
    subjects' own least-squares slopes (interior estimates assumed).
    """
    rng = np.random.default_rng(2024)
    m, days = 12, np.arange(8.0)
    coef = rng.multivariate_normal([250.0, 4.0], [[400.0, 10.0], [10.0, 25.0]], size=m)
    data = pd.DataFrame({
        "Subject": np.repeat([f"s{i}" for i in range(m)], days.size),
        "Days": np.tile(days, m),
    })
    data["y"] = (coef[:, 0].repeat(days.size) + coef[:, 1].repeat(days.size) * data["Days"]
                 + rng.normal(0.0, 10.0, len(data)))
    own = np.array([np.polyfit(days, g["y"], 1)[0] for _, g in data.groupby("Subject")])
    t_own = own.mean() / (own.std(ddof=1) / np.sqrt(m))

    reml = fit("y ~ Days + (Days | Subject)", data, method="REML")
    ml1 = fit("y ~ Days + (Days | Subject)", data, method="ML")
    ml0 = fit("y ~ 1 + (Days | Subject)", data, method="ML")
    assert not reml.singular and not ml1.singular and not ml0.singular
    t = wald(reml).loc["Days", "z"]
    np.testing.assert_allclose(t, t_own, rtol=1e-5)
    np.testing.assert_allclose(wald(ml1).loc["Days", "z"] ** 2, m * t**2 / (m - 1), rtol=1e-5)
    np.testing.assert_allclose(lrt(ml0, ml1).statistic, m * np.log(1 + t**2 / (m - 1)), rtol=1e-5)
