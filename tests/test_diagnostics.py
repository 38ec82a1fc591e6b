"""lmmtext.diagnostics: residuals, influence, rePCA, comparison, power; against lme4 and first principles.

Reference values: tests/data/lme4_diagnostics.json, written by tests/r/lme4_diagnostics.R
(lme4 1.1-31, mlmRev 1.0-8, R 4.2.2; every lme4 fit with tight optimiser settings, the better
of nloptwrap and bobyqa).  The R calls are quoted at each test.  Differences from lme4 come
from the two optima, which agree on the criterion to ~1e-11 but, where the criterion is flat
(the random-slope models), on theta only to ~1e-6 and on a small covariance to ~1e-4.
"""
import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.stats  # noqa: E402

from lmmtext import lmm  # noqa: E402
from lmmtext.datasets import load_exam, load_scotssec, load_sleepstudy  # noqa: E402
from lmmtext.diagnostics import (  # noqa: E402
    REFIT_MESSAGE, AssumedModel, _BlupMap, compare, conditional_residuals, influence_groups,
    marginal_residuals, power_simulation, re_pca, simulate_ranef,
)
from lmmtext.inference import ols  # noqa: E402
from lmmtext.modelframe import ModelFrame  # noqa: E402
from lmmtext.plotting import plot_qq_ranef, plot_qq_resid, plot_resid_fitted  # noqa: E402

R = json.loads((Path(__file__).parent / "data" / "lme4_diagnostics.json").read_text())

INT = "normexam ~ standLRT + sex + (1 | school)"
SLOPE = "normexam ~ standLRT + sex + (standLRT | school)"
CROSS = "attain ~ verbal + sex + social + (1 | primary) + (1 | second)"


@pytest.fixture(scope="module")
def exam():
    return load_exam()


@pytest.fixture(scope="module")
def fits(exam):
    # R: w <- 1 + (seq_len(nrow(Exam)) %% 3)
    w = 1.0 + (np.arange(1, len(exam) + 1) % 3)
    return {
        "resid_int": lmm(INT, exam),
        "resid_slope": lmm(SLOPE, exam),
        "resid_weighted": lmm(SLOPE, exam, weights=w),
        "resid_cross": lmm(CROSS, load_scotssec()),
    }


def _close(actual, desired, rel):
    """Largest absolute difference at most ``rel`` times the largest |desired|."""
    actual, desired = np.asarray(actual, dtype=float), np.asarray(desired, dtype=float)
    np.testing.assert_allclose(actual, desired, rtol=0, atol=rel * np.max(np.abs(desired)))


# -- residuals against lme4 ---------------------------------------------------------------------
# R, for each fit f (rows r <- seq(1, n, by = 37)):
#   residuals(f, type = "response")[r];  residuals(f, type = "pearson")[r]
#   residuals(f, type = "pearson", scaled = TRUE)[r]
#   V <- sigma(f)^2 * (Diagonal(x = 1 / w) + Z %*% Lambda %*% t(Lambda) %*% t(Z))
#   marg <- y - X %*% fixef(f);  forwardsolve(t(chol(V)), marg)   (the scaled marginal residuals)
RESID_TOL = {"resid_int": 1e-6, "resid_slope": 2e-5, "resid_weighted": 2e-5, "resid_cross": 1e-6}


@pytest.mark.parametrize("key", sorted(RESID_TOL))
def test_residuals_agree_with_lme4(fits, key):
    fit, ref, tol = fits[key], R[key], RESID_TOL[key]
    rows = np.array(ref["rows"]) - 1
    _close(conditional_residuals(fit).to_numpy()[rows], ref["response"], tol)
    _close(conditional_residuals(fit, "pearson").to_numpy()[rows], ref["pearson"], tol)
    _close(conditional_residuals(fit, "pearson", scaled=True).to_numpy()[rows], ref["pearson_scaled"], tol)
    _close(marginal_residuals(fit).to_numpy()[rows], ref["marginal"], tol)
    scaled = marginal_residuals(fit, scaled=True).to_numpy()
    _close(scaled[rows], ref["marginal_scaled"], tol)
    pearson = conditional_residuals(fit, "pearson").to_numpy()
    assert np.sum(pearson**2) == pytest.approx(ref["ss_pearson"], rel=tol)
    # The scaled marginal residuals' sum of squares is (y - X b)' V^-1 (y - X b): n - p at the REML optimum.
    assert np.sum(scaled**2) == pytest.approx(ref["ss_marginal_scaled"], rel=1e-9)
    assert np.sum(scaled**2) == pytest.approx(fit.nobs - fit.fixef.size, rel=1e-9)


def test_residuals_are_series_indexed_by_the_rows_used():
    s = load_sleepstudy().iloc[::-1]
    fit = lmm("Reaction ~ Days + (Days | Subject)", s)
    for r in (conditional_residuals(fit), conditional_residuals(fit, "pearson", scaled=True),
              marginal_residuals(fit), marginal_residuals(fit, scaled=True)):
        assert isinstance(r, pd.Series) and r.index.equals(s.index)


# -- residuals from first principles --------------------------------------------------------------
def _dense_model(fit, Z_from="frame"):
    """y, X, Z (dense), G = cov(b) (dense), W from the fit's frame and covariance tables."""
    frame = fit.frame
    Zs, Gs = [], []
    for term in frame.terms:
        Zs.append(term.Z.toarray())
        Sigma = fit.covariance[term.name].loc[list(term.cnames), list(term.cnames)].to_numpy()
        Gs.append(np.kron(np.eye(term.n_levels), Sigma))
    w = np.ones(frame.n) if frame.weights is None else frame.weights
    return frame.y, frame.X, np.hstack(Zs), scipy.linalg.block_diag(*Gs), w


@pytest.mark.parametrize("formula, weighted", [
    ("Reaction ~ Days + (Days | Subject)", True),
    ("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", False),
    ("Reaction ~ Days + (1 | Subject) + (1 | grp)", True),  # crossed: V is one block
])
def test_residuals_from_a_dense_first_principles_computation(formula, weighted):
    s = load_sleepstudy()
    s["grp"] = pd.Categorical(np.tile(list("abcde"), 36))
    w = 1.0 + (np.arange(180) % 4) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = lmm(formula, s, weights=w)
    y, X, Z, G, wv = _dense_model(fit)
    V = Z @ G @ Z.T + fit.sigma2 * np.diag(1.0 / wv)
    Vinv_X = np.linalg.solve(V, X)
    beta = np.linalg.solve(X.T @ Vinv_X, Vinv_X.T @ y)  # GLS
    b = G @ Z.T @ np.linalg.solve(V, y - X @ beta)  # BLUP
    np.testing.assert_allclose(beta, fit.fixef.to_numpy(), rtol=1e-8)
    cond = y - X @ beta - Z @ b
    np.testing.assert_allclose(conditional_residuals(fit).to_numpy(), cond, atol=1e-7 * np.abs(cond).max())
    np.testing.assert_allclose(conditional_residuals(fit, "pearson", scaled=True).to_numpy(),
                               np.sqrt(wv) * cond / np.sqrt(fit.sigma2), atol=1e-8 * np.abs(cond).max())
    np.testing.assert_allclose(marginal_residuals(fit).to_numpy(), y - X @ beta, rtol=1e-10)
    C = np.linalg.cholesky(V)  # lower, rows in the data's order
    np.testing.assert_allclose(marginal_residuals(fit, scaled=True).to_numpy(),
                               scipy.linalg.solve_triangular(C, y - X @ beta, lower=True), atol=1e-8)


# -- the BLUPs under the fitted model -------------------------------------------------------------
def test_blup_map_reproduces_the_fits_conditional_modes(fits):
    for key in ("resid_slope", "resid_weighted", "resid_cross"):
        fit = fits[key]
        modes = _BlupMap(fit).ranef(fit.frame.y[:, None])
        for name, table in fit.ranef.items():
            expected = table.to_numpy()
            np.testing.assert_allclose(modes[name][0], expected, atol=1e-8 * np.abs(expected).max())


def test_simulated_blups_have_the_covariance_of_the_blup_under_the_model():
    # var(b_hat) = G Z' P Z G with P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1 (Henderson): the BLUPs are shrunk,
    # their variance smaller than G.
    fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    y, X, Z, G, w = _dense_model(fit)
    V = Z @ G @ Z.T + fit.sigma2 * np.eye(y.size)
    Vi = np.linalg.inv(V)
    P = Vi - Vi @ X @ np.linalg.solve(X.T @ Vi @ X, X.T @ Vi)
    theory = np.diag(G @ Z.T @ P @ Z @ G).reshape(18, 2).mean(axis=0)
    sims = simulate_ranef(fit, 4000, np.random.default_rng(12))["Subject"]
    empirical = sims.var(axis=0).mean(axis=0)
    np.testing.assert_allclose(empirical, theory, rtol=0.04)  # MC relative SE ~ sqrt(2/4000/18)... ~1%
    assert np.all(theory < np.diag(fit.covariance["Subject"].to_numpy()))


# -- influence of groups ---------------------------------------------------------------------------
# R, for each school k (influence.ME-style brute force):
#   f <- lmer(formula, droplevels(Exam[Exam$school != k, ]));  fixef(f);  as.data.frame(VarCorr(f))$vcov
#   cook <- t(fixef(f) - fixef(full)) %*% solve(vcov(full), fixef(f) - fixef(full)) / length(fixef(full))
@pytest.mark.parametrize("key, formula, tol_fixef, tol_vc", [
    ("loo_int", INT, 1e-6, 1e-5),
    ("loo_slope", SLOPE, 5e-5, 5e-4),  # a flat criterion: a small covariance agrees to ~1.5e-4
])
def test_leave_one_school_out_agrees_with_lme4_refits(exam, key, formula, tol_fixef, tol_vc):
    ref = R[key]
    schools = [g["school"] for g in ref["groups"]]
    fit = lmm(formula, exam)
    infl = influence_groups(fit, "school", levels=None if key == "loo_int" else schools)
    assert list(infl.fixef.index) == schools
    fixef = np.array([g["fixef"] for g in ref["groups"]])
    varcomp = np.array([g["varcomp"] for g in ref["groups"]])
    cook = np.array([g["cook"] for g in ref["groups"]])
    np.testing.assert_allclose(infl.fixef.to_numpy(), fixef, rtol=tol_fixef, atol=1e-7)
    np.testing.assert_allclose(infl.varcomp.to_numpy(), varcomp, rtol=tol_vc)
    np.testing.assert_allclose(infl.cooks_distance.to_numpy(), cook, rtol=20 * tol_vc)
    assert [c.replace("Intercept", "(Intercept)") for c in infl.varcomp.columns] == \
        [n.replace(" NA", "") for n in ref["vcnames"]]
    np.testing.assert_allclose(infl.full_varcomp.to_numpy(), ref["full_varcomp"], rtol=tol_vc)
    if key == "loo_int":
        # R: which.max(cook) is school 53 (70 pupils)
        assert infl.cooks_distance.idxmax() == "53" and infl.n_obs["53"] == 70
        assert infl.summary().index[0] == "53"


def test_influence_agrees_with_a_brute_force_loop_of_lmm_fits(exam):
    fit = lmm(SLOPE, exam)
    levels = ["7", "53"]
    infl = influence_groups(fit, "school", levels=levels)
    for k in levels:
        rows = exam["school"] != k
        sub = exam[rows].assign(school=exam.loc[rows, "school"].cat.remove_unused_categories())
        brute = lmm(SLOPE, sub)
        np.testing.assert_allclose(infl.fixef.loc[k].to_numpy(), brute.fixef.to_numpy(), rtol=1e-9)
        d = brute.fixef.to_numpy() - fit.fixef.to_numpy()
        cook = d @ np.linalg.solve(fit.vcov.to_numpy(), d) / d.size
        assert infl.cooks_distance[k] == pytest.approx(cook, rel=1e-8)
        cov = brute.covariance["school"].to_numpy()
        np.testing.assert_allclose(infl.varcomp.loc[k].to_numpy(),
                                   [cov[0, 0], cov[1, 1], cov[0, 1], brute.sigma2], rtol=1e-8)
        np.testing.assert_allclose(infl.delta_fixef.loc[k].to_numpy(), d, atol=1e-12)


def test_influence_rejects_bad_input(fits):
    fit = fits["resid_int"]
    with pytest.raises(ValueError, match="grouping factors"):
        influence_groups(fit, "student")
    with pytest.raises(ValueError, match="not a level"):
        influence_groups(fit, "school", levels=["999"])
    with pytest.raises(TypeError, match="LmmResult"):
        influence_groups("fit")
    d = load_sleepstudy().iloc[:20]  # two subjects: leaving one out leaves one level
    d = d.assign(Subject=d["Subject"].cat.remove_unused_categories())
    two = lmm("Reaction ~ Days + (1 | Subject)", d)
    with pytest.raises(ValueError, match="cannot refit without Subject '308'.*one level"):
        influence_groups(two)


# -- ModelFrame.subset -------------------------------------------------------------------------------
def test_subset_equals_the_frame_built_on_the_kept_rows(exam):
    formula = "normexam ~ standLRT + sex + (standLRT | school) + (0 + standLRT | intake)"
    frame = ModelFrame.build(formula, exam)
    keep = (exam["school"] != "7").to_numpy() & (np.arange(len(exam)) % 5 != 0)
    sub = frame.subset(keep)
    kept = exam[keep].assign(school=exam.loc[keep, "school"].cat.remove_unused_categories())
    direct = ModelFrame.build(formula, kept)
    np.testing.assert_array_equal(sub.X, direct.X)
    np.testing.assert_array_equal(sub.y, direct.y)
    assert sub.index.equals(direct.index)
    for a, b in zip(sub.terms, direct.terms):
        assert a.name == b.name and a.levels.equals(b.levels) and a.cnames == b.cnames
        assert abs(a.Z - b.Z).max() == 0
    assert "7" not in sub.terms[0].levels and sub.terms[0].n_levels == 64


def test_subset_keeps_weights_and_rejects_bad_masks():
    s = load_sleepstudy()
    frame = ModelFrame.build("Reaction ~ Days + (1 | Subject)", s, weights=np.arange(1.0, 181.0))
    sub = frame.subset(np.arange(180) >= 90)
    np.testing.assert_array_equal(sub.weights, np.arange(91.0, 181.0))
    with pytest.raises(ValueError, match="booleans"):
        frame.subset(np.ones(179, dtype=bool))
    with pytest.raises(ValueError, match="booleans"):
        frame.subset(np.ones(180))
    with pytest.raises(ValueError, match="no row"):
        frame.subset(np.zeros(180, dtype=bool))


# -- rePCA --------------------------------------------------------------------------------------------
# R: summary(rePCA(f)); here p$sdev and p$sdev^2 / sum(p$sdev^2) for
#   f_max <- lmer(normexam ~ standLRT + sex + (standLRT + sex | school), Exam)   (singular: rank 2 of 3)
#   f_dbl <- lmer(normexam ~ standLRT + sex + (standLRT || school), Exam)        (bdiag of two terms)
@pytest.mark.parametrize("key, formula, data", [
    ("repca_max", "normexam ~ standLRT + sex + (standLRT + sex | school)", "exam"),
    ("repca_slope", SLOPE, "exam"),
    ("repca_double", "normexam ~ standLRT + sex + (standLRT || school)", "exam"),
    ("repca_cross", CROSS, "scotssec"),
])
def test_re_pca_agrees_with_lme4(exam, key, formula, data):
    d = exam if data == "exam" else load_scotssec()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = lmm(formula, d)
    pca = re_pca(fit)
    assert list(pca) == list(R[key])
    for name, ref in R[key].items():
        sdev = np.atleast_1d(ref["sdev"])
        table = pca[name]
        assert list(table.columns) == [f"PC{k + 1}" for k in range(sdev.size)]
        np.testing.assert_allclose(table.loc["Standard deviation"], sdev, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(table.loc["Proportion of Variance"], np.atleast_1d(ref["prop"]),
                                   rtol=1e-4, atol=1e-6)
        assert table.loc["Cumulative Proportion"].iloc[-1] == pytest.approx(1.0)
        # first principles: sdev^2 are the eigenvalues of Sigma / sigma^2
        eig = np.sort(np.linalg.eigvalsh(fit.covariance[name].to_numpy() / fit.sigma2))[::-1]
        np.testing.assert_allclose(table.loc["Standard deviation"] ** 2, np.clip(eig, 0, None), atol=1e-10)
    if key == "repca_max":  # the maximal model is over-parameterised: a component with variance 0
        assert pca["school"].loc["Proportion of Variance", "PC3"] == pytest.approx(0.0, abs=1e-8)


# -- compare (lme4's anova) ---------------------------------------------------------------------------
# R: m0 <- lmer(normexam ~ standLRT + (1 | school), Exam); m1 <- lmer(INT, Exam); m2 <- lmer(SLOPE, Exam)
#    anova(m0, m1, m2)    # "refitting model(s) with ML (instead of REML)"
#    anova(m1, m2, refit = FALSE)
def _check_table(table, ref, tol):
    np.testing.assert_array_equal(table["npar"], ref["npar"])
    for col, key in (("AIC", "AIC"), ("BIC", "BIC"), ("logLik", "logLik"), ("deviance", "deviance")):
        np.testing.assert_allclose(table[col], ref[key], rtol=tol)
    assert np.isnan(table["Chisq"].iloc[0]) and np.isnan(table["Pr(>Chisq)"].iloc[0])
    np.testing.assert_allclose(table["Chisq"].iloc[1:], ref["Chisq"][1:], rtol=1e3 * tol)
    np.testing.assert_array_equal(table["Df"].iloc[1:], ref["Df"][1:])
    np.testing.assert_allclose(table["Pr(>Chisq)"].iloc[1:], ref["p"][1:], rtol=1e4 * tol)


def test_compare_refits_reml_fits_by_ml_as_lme4_anova(exam, fits):
    m0 = lmm("normexam ~ standLRT + (1 | school)", exam)
    cmp = compare(fits["resid_slope"], m0, fits["resid_int"], names=["m2", "m0", "m1"])
    assert R["anova_message"].strip() == REFIT_MESSAGE == cmp.message
    assert cmp.refitted and cmp.criterion == "ML" and all(f.method == "ML" for f in cmp.fits)
    assert list(cmp.table.index) == ["m0", "m1", "m2"]  # ordered by npar, as lme4
    _check_table(cmp.table, R["anova_refit"], 1e-9)
    text = repr(cmp)
    assert text.startswith(REFIT_MESSAGE) and "m2: " + SLOPE in text and "Pr(>Chisq)" in text


def test_compare_on_the_reml_criterion_when_fixed_effects_agree(fits):
    cmp = compare(fits["resid_int"], fits["resid_slope"], refit_ml=False)
    assert not cmp.refitted and cmp.criterion == "REML" and cmp.message == ""
    _check_table(cmp.table, R["anova_reml"], 1e-9)
    assert REFIT_MESSAGE not in repr(cmp)


def test_compare_accepts_ml_fits_and_ols_without_refitting():
    s = load_sleepstudy()
    m0 = ols("Reaction ~ Days", s, method="ML")
    m1 = lmm("Reaction ~ Days + (1 | Subject)", s, method="ML")
    cmp = compare(m0, m1)
    assert not cmp.refitted and cmp.fits[1] is m1
    assert cmp.table.loc["m2", "Chisq"] == pytest.approx(2 * (m1.loglik - m0.loglik))
    assert cmp.table.loc["m2", "AIC"] == pytest.approx(m1.aic)


def test_compare_rejects_bad_input(exam, fits):
    m_int, m_slope = fits["resid_int"], fits["resid_slope"]
    m0 = lmm("normexam ~ standLRT + (1 | school)", exam)
    with pytest.raises(ValueError, match="different fixed effects"):
        compare(m0, m_slope, refit_ml=False)
    with pytest.raises(ValueError, match="different criteria"):
        compare(lmm(INT, exam, method="ML"), m_slope, refit_ml=False)
    with pytest.raises(ValueError, match="same data"):
        compare(m_int, lmm(INT, exam.iloc[:2000]))
    with pytest.raises(ValueError, match="same data"):
        compare(m_int, fits["resid_cross"])
    with pytest.raises(ValueError, match="at least two"):
        compare(m_int)
    with pytest.raises(TypeError, match="fit 2"):
        compare(m_int, "m2")
    with pytest.raises(ValueError, match="names"):
        compare(m_int, m_slope, names=["a"])
    with pytest.raises(TypeError, match="refit_ml"):
        compare(m_int, m_slope, refit_ml="yes")


# -- power by simulation -------------------------------------------------------------------------------
def _two_arm_design(n_groups, n_per_group):
    return pd.DataFrame({"school": [f"s{g:02d}" for g in range(n_groups) for _ in range(n_per_group)],
                         "trt": [float(g % 2) for g in range(n_groups) for _ in range(n_per_group)]})


def test_power_agrees_with_the_closed_form_of_a_balanced_design():
    # Half of G schools treated; known variances: var(beta_trt) = 4 (sigma_a^2 + sigma^2 / n) / G and the
    # z test has power Phi(delta / se - z) + Phi(-delta / se - z) (Chapter 12, eq. ch12-power).
    G, n, sigma_a2, sigma2, delta = 24, 4, 0.25, 1.0, 0.7
    model = AssumedModel("y ~ trt + (1 | school)", {"Intercept": 0.0, "trt": delta}, {"school": sigma_a2},
                         sigma2)
    res = power_simulation(model, _two_arm_design(G, n), "trt", 200, np.random.default_rng(12), ddf=None)
    se = np.sqrt(4 * (sigma_a2 + sigma2 / n) / G)
    z = scipy.stats.norm.ppf(0.975)
    closed = scipy.stats.norm.cdf(delta / se - z) + scipy.stats.norm.cdf(-delta / se - z)
    assert abs(res.power - closed) < 3 * res.mc_se
    assert res.mc_se == pytest.approx(np.sqrt(res.power * (1 - res.power) / 200))
    assert res.true_value == delta and res.estimates.shape == (200,)
    assert abs(res.estimates.mean() - delta) < 3 * se / np.sqrt(200)
    assert res.estimates.std() == pytest.approx(se, rel=0.15)


def test_power_is_seeded_and_a_fit_simulates_on_its_own_rows():
    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (Days | Subject)", s)
    a = power_simulation(fit, None, "Days", 4, np.random.default_rng(5), ddf=None)
    b = power_simulation(fit, None, "Days", 4, np.random.default_rng(5), ddf=None)
    np.testing.assert_array_equal(a.estimates, b.estimates)
    assert a.power == 1.0 and a.true_value == pytest.approx(fit.fixef["Days"])
    # a new design: 6 subjects, days 0-3, no response column
    new = pd.DataFrame({"Subject": np.repeat([f"n{i}" for i in range(6)], 4),
                        "Days": np.tile(np.arange(4.0), 6)})
    c = power_simulation(fit, new, "Days", 3, np.random.default_rng(5), ddf="Satterthwaite")
    assert c.p_values.shape == (3,) and np.all((0 <= c.p_values) & (c.p_values <= 1))
    assert "Satterthwaite" in repr(c)


def test_power_rejects_bad_input():
    design = _two_arm_design(6, 3)
    model = AssumedModel("y ~ trt + (1 | school)", {"Intercept": 0.0, "trt": 1.0}, {"school": 0.5}, 1.0)
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="fixed effects"):
        power_simulation(model, design, "dose", 2, rng)
    with pytest.raises(ValueError, match="n_sim"):
        power_simulation(model, design, "trt", 0, rng)
    with pytest.raises(TypeError, match="n_sim"):
        power_simulation(model, design, "trt", 2.5, rng)
    with pytest.raises(TypeError, match="Generator"):
        power_simulation(model, design, "trt", 2, 12)
    with pytest.raises(ValueError, match="alpha"):
        power_simulation(model, design, "trt", 2, rng, alpha=1.5)
    with pytest.raises(ValueError, match="ddf"):
        power_simulation(model, design, "trt", 2, rng, ddf="Wald")
    with pytest.raises(TypeError, match="AssumedModel"):
        power_simulation("y ~ trt", design, "trt", 2, rng)
    with pytest.raises(TypeError, match="DataFrame"):
        power_simulation(model, None, "trt", 2, rng)
    bad = [
        (AssumedModel("y ~ trt + (1 | school)", {"trt": 1.0}, {"school": 0.5}, 1.0), "missing.*Intercept"),
        (AssumedModel("y ~ trt + (1 | school)", {"Intercept": 0, "trt": 1}, {"class": 0.5}, 1.0), "grouping"),
        (AssumedModel("y ~ trt + (trt | school)", {"Intercept": 0, "trt": 1}, {"school": 0.5}, 1.0), "2 x 2"),
        (AssumedModel("y ~ trt + (trt | school)", {"Intercept": 0, "trt": 1},
                      {"school": [[1.0, 2.0], [2.0, 1.0]]}, 1.0), "positive semi-definite"),
        (AssumedModel("y ~ trt + (1 | school)", {"Intercept": 0, "trt": 1}, {"school": 0.5}, 0.0), "sigma2"),
        (AssumedModel("y ~ trt + (1 | school)", {"Intercept": 0, "trt": 1}, {"school": 0.5}, 1.0, "OLS"),
         "method"),
    ]
    for m, msg in bad:
        with pytest.raises(ValueError, match=msg):
            power_simulation(m, design, "trt", 2, rng)


# -- residual functions: bad input -------------------------------------------------------------------
def test_residual_functions_reject_bad_input(fits):
    with pytest.raises(ValueError, match="type"):
        conditional_residuals(fits["resid_int"], "deviance")
    with pytest.raises(TypeError, match="LmmResult"):
        marginal_residuals(ols("Reaction ~ Days", load_sleepstudy()))
    with pytest.raises(TypeError, match="LmmResult"):
        re_pca(None)
    with pytest.raises(TypeError, match="Generator"):
        simulate_ranef(fits["resid_int"], 10, 1)
    with pytest.raises(ValueError, match="n_sim"):
        simulate_ranef(fits["resid_int"], 0, np.random.default_rng(1))


# -- figures --------------------------------------------------------------------------------------------
def test_diagnostic_figures(fits):
    fit = fits["resid_slope"]
    ax = plot_resid_fitted(fit)
    assert ax.get_xlabel() == "적합값 · fitted value"
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1],
                               conditional_residuals(fit, "pearson", scaled=True))
    plt.close(ax.figure)
    fig = plot_resid_fitted(fit, group="school", levels=["1", "53"], ncols=2)
    assert [a.get_title().split()[0] for a in fig.axes] == ["1", "53"]
    plt.close(fig)
    ax = plot_qq_resid(fit, kind="marginal")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.sort(marginal_residuals(fit, scaled=True)))
    plt.close(ax.figure)
    fig = plot_qq_ranef(fit, np.random.default_rng(12), n_sim=100)
    assert [a.get_title() for a in fig.axes] == ["school: Intercept", "school: standLRT"]
    # the BLUPs are shrunk: their spread is below that of N(0, sigma_b^2), which the band shows
    blups = fig.axes[1].get_lines()[1].get_ydata()
    assert np.std(blups) < np.sqrt(fit.covariance["school"].loc["standLRT", "standLRT"])
    plt.close(fig)
    with pytest.raises(ValueError, match="kind"):
        plot_qq_resid(fit, kind="raw")
    with pytest.raises(ValueError, match="level"):
        plot_qq_ranef(fit, np.random.default_rng(1), level=95)
    with pytest.raises(ValueError, match="unknown level"):
        plot_resid_fitted(fit, group="school", levels=["0"])
    with pytest.raises(ValueError, match="grouping factors"):
        plot_resid_fitted(fit, group="sex")


def test_fits_with_a_residual_structure_are_refused_where_v_is_assumed():
    from lmmtext.residual import AR1

    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (1 | Subject)", s, residual=AR1("Subject"))
    assert conditional_residuals(fit).shape == (180,)  # the response residual needs no V
    assert marginal_residuals(fit).shape == (180,)
    for call in (lambda: conditional_residuals(fit, "pearson"), lambda: marginal_residuals(fit, scaled=True),
                 lambda: simulate_ranef(fit, 2, np.random.default_rng(1)), lambda: influence_groups(fit),
                 lambda: power_simulation(fit, None, "Days", 2, np.random.default_rng(1))):
        with pytest.raises(ValueError, match="residual structure"):
            call()
    plain = lmm("Reaction ~ Days + (1 | Subject)", s)
    cmp = compare(plain, fit)  # ML refits keep the AR(1) structure: one more parameter
    assert cmp.fits[1].residual is not None and cmp.table["npar"].tolist() == [4, 5]
