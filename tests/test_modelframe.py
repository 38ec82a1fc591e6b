"""``lmm`` reads formulas and data as lme4 1.1 does (the model frame, :mod:`lmmtext.modelframe`).

Reference values: lme4 1.1-31 on R 4.2.2 (Debian), every fit tightly converged (the
better of nloptwrap with ``xtol_abs = 1e-14, ftol_abs = 1e-16`` and bobyqa with
``rhoend = 1e-12``), produced by ``tests/r/lme4_fidelity.R`` into
``tests/data/lme4_fidelity.json``.  Each test names the R call whose values it uses.
The data: lme4's ``sleepstudy`` with three derived columns, built the same way in R,

    s$phase  <- factor(ifelse(Days < 3, "lo", ifelse(Days < 6, "mid", "hi")),
                       levels = c("lo", "mid", "hi"))
    s$ophase <- factor(as.character(s$phase), levels = c("lo", "mid", "hi", "max"),
                       ordered = TRUE)                          # "max" is never used
    s$w      <- 1 + (Days %% 3)
"""
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lmmtext import lmm
from lmmtext.datasets import load_penicillin, load_sleepstudy
from lmmtext.formula import parse_formula
from lmmtext.modelframe import ModelFrame, contr_poly

R = json.loads((Path(__file__).parent / "data" / "lme4_fidelity.json").read_text())
RTOL = 1e-6


def sleep() -> pd.DataFrame:
    s = load_sleepstudy()
    phase = np.where(s["Days"] < 3, "lo", np.where(s["Days"] < 6, "mid", "hi"))
    return s.assign(
        phase=pd.Categorical(phase, categories=["lo", "mid", "hi"]),
        ophase=pd.Categorical(phase, categories=["lo", "mid", "hi", "max"], ordered=True),
        w=1.0 + s["Days"] % 3,
    )


def r_name(name: str) -> str:
    """The rule of the README: ``Intercept`` is ``(Intercept)``, ``x[a]`` is ``xa``."""
    return "(Intercept)" if name == "Intercept" else name.replace("[", "").replace("]", "")


def assert_matches_lme4(fit, ref: dict, rtol: float = RTOL) -> None:
    assert [r_name(n) for n in fit.fixef.index] == list(ref["fixef"])
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(ref["fixef"].values()), rtol=rtol)
    np.testing.assert_allclose(fit.sigma2, ref["sigma2"], rtol=rtol)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=rtol)
    np.testing.assert_allclose(fit.theta, np.atleast_1d(ref["theta"]), rtol=10 * rtol, atol=1e-6)
    assert fit.nobs == ref["nobs"]


# -- factors ---------------------------------------------------------------------------------
def test_categorical_order_sets_the_reference_level():
    # R: lmer(Reaction ~ phase + (1 | Subject), s)  -> (Intercept), phasemid, phasehi
    fit = lmm("Reaction ~ phase + (1 | Subject)", sleep())
    assert list(fit.fixef.index) == ["Intercept", "phase[mid]", "phase[hi]"]
    assert_matches_lme4(fit, R["phase"])


def test_ordered_categorical_gets_polynomial_contrasts_after_dropping_unused_levels():
    # R: lmer(Reaction ~ ophase + (1 | Subject), s)  -> ophase.L, ophase.Q (3 used levels)
    fit = lmm("Reaction ~ ophase + (1 | Subject)", sleep())
    assert list(fit.fixef.index) == ["Intercept", "ophase.L", "ophase.Q"]
    assert_matches_lme4(fit, R["ophase"])


def test_contr_poly_is_orthonormal_and_matches_r():
    # R: contr.poly(4)
    C, names = contr_poly(4)
    np.testing.assert_allclose(C.T @ C, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(C.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(C[:, 0], [-0.670820393249937, -0.223606797749979,
                                         0.223606797749979, 0.670820393249937], rtol=1e-12)
    np.testing.assert_allclose(C[:, 2], [-0.223606797749979, 0.670820393249937,
                                         -0.670820393249937, 0.223606797749979], rtol=1e-12)
    assert names == [".L", ".Q", ".C"]


def test_string_column_is_a_factor_with_sorted_levels():
    s = sleep().assign(phase=lambda f: f["phase"].astype(str))
    fit = lmm("Reaction ~ phase + (1 | Subject)", s)
    assert list(fit.fixef.index) == ["Intercept", "phase[lo]", "phase[mid]"]


def test_factor_of_a_number_sorts_levels_numerically():
    d = pd.DataFrame({"x": [10, 2, 9, 2, 10, 9] * 4, "y": np.arange(24.0) % 5,
                      "g": np.repeat(list("abcd"), 6)})
    frame = ModelFrame.build("y ~ factor(x) + (1 | g)", d)
    assert frame.fixef_names == ("Intercept", "factor(x)[9]", "factor(x)[10]")


def test_factor_in_an_interaction_without_its_main_effect_gets_indicators():
    # R: colnames(model.matrix(~ Days:phase, s)) ==
    #   "(Intercept)" "Days:phaselo" "Days:phasemid" "Days:phasehi"
    frame = ModelFrame.build("Reaction ~ Days:phase + (1 | Subject)", sleep())
    assert frame.fixef_names == ("Intercept", "Days:phase[lo]", "Days:phase[mid]", "Days:phase[hi]")


def test_no_intercept_codes_the_first_factor_by_indicators_and_the_next_by_contrasts():
    # R: colnames(model.matrix(~ 0 + phase + f2, d)) == "phaselo" "phasemid" "phasehi" "f2b"
    d = sleep().assign(f2=lambda f: np.where(f["Days"] % 2 == 0, "a", "b"))
    frame = ModelFrame.build("Reaction ~ 0 + phase + f2 + (1 | Subject)", d)
    assert frame.fixef_names == ("phase[lo]", "phase[mid]", "phase[hi]", "f2[b]")


def test_terms_are_ordered_by_degree_as_r_orders_them():
    # R: colnames(model.matrix(~ Days:f2 + phase, d)) puts the main effect first
    d = sleep().assign(f2=lambda f: np.where(f["Days"] % 2 == 0, "a", "b"))
    frame = ModelFrame.build("Reaction ~ Days:f2 + phase + (1 | Subject)", d)
    assert frame.fixef_names[:3] == ("Intercept", "phase[mid]", "phase[hi]")


def test_star_and_slash_expand_as_in_r():
    f = parse_formula("y ~ a*b + c/d")
    assert f.fixed.terms == (("a",), ("b",), ("c",), ("a", "b"), ("c", "d"))
    assert parse_formula("y ~ (a + b + c)^2 - a:c").fixed.terms == (
        ("a",), ("b",), ("c",), ("a", "b"), ("b", "c"))


def test_categorical_grouping_factor_keeps_its_order():
    s = sleep()
    order = list(s["Subject"].cat.categories[::-1])
    s["Subject"] = s["Subject"].cat.reorder_categories(order)
    fit = lmm("Reaction ~ Days + (1 | Subject)", s)
    assert list(fit.ranef["Subject"].index) == order


# -- || and functions -----------------------------------------------------------------------
def test_double_bar_is_uncorrelated_intercept_and_slope():
    # R: lmer(Reaction ~ Days + (Days || Subject), s)
    fit = lmm("Reaction ~ Days + (Days || Subject)", sleep())
    assert list(fit.covariance["Subject"].index) == ["Intercept", "Days"]
    assert fit.covariance["Subject"].iat[0, 1] == 0.0
    assert_matches_lme4(fit, R["doublebar"])


def test_double_bar_with_a_factor_is_refused_with_the_intended_model():
    with pytest.raises(ValueError, match=r"does not make the effects of the levels.*\(1 \| Subject\)"
                                         r" \+ \(1 \| Subject:phase\)"):
        lmm("Reaction ~ Days + (phase || Subject)", sleep())


def test_log_response_and_power_in_I():
    # R: lmer(log(Reaction) ~ Days + I(Days^2) + (Days | Subject), s)
    fit = lmm("log(Reaction) ~ Days + I(Days^2) + (Days | Subject)", sleep())
    assert_matches_lme4(fit, R["logquad"])


def test_scale_uses_the_sample_standard_deviation():
    # R: lmer(Reaction ~ scale(Days) + (1 | Subject), s)
    fit = lmm("Reaction ~ scale(Days) + (1 | Subject)", sleep())
    assert_matches_lme4(fit, R["scale"])


def test_factor_of_days():
    # R: lmer(Reaction ~ factor(Days) + (1 | Subject), s)
    fit = lmm("Reaction ~ factor(Days) + (1 | Subject)", sleep())
    assert fit.fixef.index[1] == "factor(Days)[1]"
    assert_matches_lme4(fit, R["factordays"])


def test_user_function_is_found_where_lmm_is_called():
    # R: sq <- function(x) x^2; lmer(Reaction ~ Days + sq(Days) + (1 | Subject), s)
    def sq(x):
        return x**2

    fit = lmm("Reaction ~ Days + sq(Days) + (1 | Subject)", sleep())
    assert_matches_lme4(fit, R["userfun"])


def test_unknown_function_names_itself():
    with pytest.raises(ValueError, match="unknown variable or function 'cube'"):
        lmm("Reaction ~ cube(Days) + (1 | Subject)", sleep())


def test_missing_column_names_the_column():
    with pytest.raises(ValueError, match="no column 'Dose'"):
        lmm("Reaction ~ Dose + (1 | Subject)", sleep())


def test_number_as_a_term_is_rejected_as_r_rejects_it():
    with pytest.raises(ValueError, match="needs I()"):
        lmm("Reaction ~ Days + 2 + (1 | Subject)", sleep())


def test_bar_inside_an_interaction_is_rejected():
    with pytest.raises(ValueError, match="on its own"):
        lmm("Reaction ~ Days * (1 | Subject)", sleep())


# -- weights and missing values -------------------------------------------------------------
@pytest.mark.parametrize("method, key", [("REML", "weights"), ("ML", "weights_ml")])
def test_precision_weights_match_lme4(method, key):
    # R: lmer(Reaction ~ Days + (Days | Subject), s, weights = w, REML = method == "REML")
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep(), method=method, weights="w")
    assert_matches_lme4(fit, R[key])


def test_weights_as_an_array_equal_weights_as_a_column():
    s = sleep()
    a = lmm("Reaction ~ Days + (1 | Subject)", s, weights="w")
    b = lmm("Reaction ~ Days + (1 | Subject)", s, weights=s["w"].to_numpy())
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)


def test_unit_weights_change_nothing():
    s = sleep()
    a = lmm("Reaction ~ Days + (1 | Subject)", s)
    b = lmm("Reaction ~ Days + (1 | Subject)", s, weights=np.ones(len(s)))
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    np.testing.assert_allclose(a.fixef, b.fixef, rtol=1e-10)


@pytest.mark.parametrize("bad, message", [
    (-1.0, "must not be negative"), (np.nan, "missing values"), (0.0, "weight\\(s\\) are 0"),
])
def test_bad_weights_are_refused(bad, message):
    s = sleep()
    s.loc[3, "w"] = bad
    with pytest.raises(ValueError, match=message):
        lmm("Reaction ~ Days + (1 | Subject)", s, weights="w")


def test_weights_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="one number per row"):
        lmm("Reaction ~ Days + (1 | Subject)", sleep(), weights=np.ones(5))


def test_missing_drop_matches_lme4_na_omit_and_warns():
    # R: sm$Reaction[c(2, 7, 51)] <- NA; sm$Days[100] <- NA
    #    lmer(Reaction ~ Days + (Days | Subject), sm, na.action = na.omit)
    s = sleep()
    s.loc[[1, 6, 50], "Reaction"] = np.nan
    s.loc[99, "Days"] = np.nan
    with pytest.warns(UserWarning, match=r"dropped 4 of 180 row\(s\).*'Days': 1, 'Reaction': 3"):
        fit = lmm("Reaction ~ Days + (Days | Subject)", s, missing="drop")
    assert_matches_lme4(fit, R["missing"])
    assert list(fit.fitted.index) == [i for i in s.index if i not in (1, 6, 50, 99)]
    np.testing.assert_allclose(fit.fitted + fit.resid, s["Reaction"].drop([1, 6, 50, 99]))


def test_missing_values_raise_by_default_with_counts():
    s = sleep()
    s.loc[[0, 5], "Reaction"] = np.nan
    s.loc[5, "Days"] = np.nan
    with pytest.raises(ValueError, match=r"2 row\(s\) have missing values .*'Days': 1, 'Reaction': 2"):
        lmm("Reaction ~ Days + (Days | Subject)", s)


def test_infinite_value_is_reported_as_such_with_its_rows():
    s = sleep().astype({"Days": float})
    s.loc[7, "Days"] = np.inf
    with pytest.raises(ValueError, match=r"'Days' has 1 infinite value\(s\) \(rows \[7\]\)"):
        lmm("Reaction ~ Days + (1 | Subject)", s)


def test_log_of_zero_is_reported_as_infinite():
    s = sleep()
    s.loc[0, "Days"] = 0.0
    with pytest.raises(ValueError, match="'log\\(Days\\)' has .* infinite"):
        lmm("Reaction ~ log(Days) + (1 | Subject)", s)


def test_constant_response_is_an_error():
    with pytest.raises(ValueError, match="no variation"):
        lmm("Reaction ~ Days + (1 | Subject)", sleep().assign(Reaction=250.0))


# -- prediction ------------------------------------------------------------------------------
NEW = pd.DataFrame({"Days": [0, 5, 9.5, 2], "Subject": ["308", "new", "372", "333"]},
                   index=[10, 11, 12, 13])


def test_predict_with_and_without_random_effects_matches_lme4():
    # R: new <- data.frame(Days = c(0, 5, 9.5, 2), Subject = c("308", "new", "372", "333"))
    #    predict(fit, new, allow.new.levels = TRUE); predict(fit, new, re.form = NA)
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep())
    p = fit.predict(NEW)
    assert list(p.index) == [10, 11, 12, 13]
    np.testing.assert_allclose(p, R["predict_re"], rtol=RTOL)
    np.testing.assert_allclose(fit.predict(NEW, re=False), R["predict_fixed"], rtol=RTOL)


def test_predict_new_level_raises_when_asked():
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep())
    with pytest.raises(ValueError, match=r"\['new'\] of the grouping factor 'Subject'"):
        fit.predict(NEW, new_levels="error")


def test_predict_reuses_the_fitting_data_scale():
    # R: predict(lmer(Reaction ~ scale(Days) + (1 | Subject), s),
    #            data.frame(Days = c(0, 4.5, 20), Subject = c("308", "309", "310")))
    fit = lmm("Reaction ~ scale(Days) + (1 | Subject)", sleep())
    new = pd.DataFrame({"Days": [0, 4.5, 20], "Subject": ["308", "309", "310"]})
    np.testing.assert_allclose(fit.predict(new), R["predict_scale"], rtol=RTOL)


def test_predict_without_newdata_is_the_fitted_values():
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep())
    pd.testing.assert_series_equal(fit.predict(), fit.fitted)


def test_predict_unseen_fixed_effect_level_raises():
    fit = lmm("Reaction ~ phase + (1 | Subject)", sleep())
    new = pd.DataFrame({"phase": ["lo", "late"], "Subject": ["308", "308"]})
    with pytest.raises(ValueError, match=r"factor 'phase' has level\(s\) \['late'\]"):
        fit.predict(new)


def test_predict_names_a_missing_column():
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep())
    with pytest.raises(ValueError, match="newdata has no column 'Days'"):
        fit.predict(pd.DataFrame({"Subject": ["308"]}))


# -- conditional variances ------------------------------------------------------------------
def test_ranef_var_matches_lme4_condvar_for_correlated_slopes():
    # R: attr(ranef(fit, condVar = TRUE)$Subject, "postVar")[, , c(1, 18)]
    fit = lmm("Reaction ~ Days + (Days | Subject)", sleep())
    V = fit.ranef_var["Subject"]
    assert V.shape == (18, 2, 2)
    np.testing.assert_allclose(V[[0, 17]].transpose(0, 2, 1).ravel(), R["condvar_slopes"], rtol=1e-5)


def test_ranef_var_of_a_factor_in_two_terms_agrees_with_lme4_per_term_blocks():
    # R: attr(ranef(lmer(Reaction ~ Days + (Days || Subject), s), condVar = TRUE)$Subject, "postVar")
    fit = lmm("Reaction ~ Days + (Days || Subject)", sleep())
    V = fit.ranef_var["Subject"]
    np.testing.assert_allclose(V[[0, 17], 0, 0], R["condvar_double"]["(Intercept)"], rtol=1e-5)
    np.testing.assert_allclose(V[[0, 17], 1, 1], R["condvar_double"]["Days"], rtol=1e-5)


def test_ranef_var_of_crossed_factors_matches_lme4():
    # R: pen <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)
    #    attr(ranef(pen, condVar = TRUE)$plate, "postVar"); ...$sample
    fit = lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", load_penicillin())
    assert [str(v) for v in fit.ranef["plate"].index] == R["pen_plate_levels"]
    np.testing.assert_allclose(fit.ranef_var["plate"].ravel(), R["condvar_pen_plate"], rtol=1e-5)
    np.testing.assert_allclose(fit.ranef_var["sample"].ravel(), R["condvar_pen_sample"], rtol=1e-5)


@pytest.mark.filterwarnings("ignore:boundary")
def test_ranef_var_equals_the_dense_conditional_covariance():
    # sigma^2 Lambda (Lambda' Z' Z Lambda + I)^{-1} Lambda', from dense matrices
    s = sleep()
    fit = lmm("Reaction ~ Days + (Days | Subject) + (1 | phase)", s)
    Z = np.column_stack([t.Z.toarray() for t in fit.system.terms])
    thetas = fit.system.term_theta(fit.theta)
    blocks = [np.kron(np.eye(t.n_levels), t.lambda_factor(th)) for t, th in zip(fit.system.terms, thetas)]
    Lam = np.zeros((Z.shape[1], Z.shape[1]))
    pos = 0
    for B in blocks:
        Lam[pos:pos + B.shape[0], pos:pos + B.shape[0]] = B
        pos += B.shape[0]
    M = Lam.T @ Z.T @ Z @ Lam + np.eye(Z.shape[1])
    C = fit.sigma2 * Lam @ np.linalg.solve(M, Lam.T)
    np.testing.assert_allclose(fit.ranef_var["Subject"][3], C[6:8, 6:8], rtol=1e-9)
    np.testing.assert_allclose(fit.ranef_var["phase"][:, 0, 0], np.diag(C)[36:], rtol=1e-9)


# -- refits ----------------------------------------------------------------------------------
def test_refit_with_the_same_response_reproduces_the_fit():
    def sq(x):
        return x**2

    fit = lmm("Reaction ~ scale(Days) + sq(Days) + (1 | Subject)", sleep(), weights="w")
    again = fit.refit(fit.frame.y)
    np.testing.assert_allclose(again.loglik, fit.loglik, rtol=1e-12)


def test_frame_keeps_no_reference_to_a_recomputed_scale():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = lmm("Reaction ~ scale(Days) + (1 | Subject)", sleep())
    new = sleep().assign(Days=lambda f: f["Days"] + 100)
    assert fit.predict(new, re=False).min() > fit.predict(re=False).max()


# -- properties of the term algebra ---------------------------------------------------------
from hypothesis import given, strategies as st  # noqa: E402

VARS = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True)


def term_set(formula: str) -> set:
    return {frozenset(t) for t in parse_formula(formula).fixed.terms}


@given(VARS, VARS)
def test_star_is_sum_plus_interaction(left, right):
    a, b = " + ".join(left), " + ".join(right)
    assert term_set(f"y ~ ({a}) * ({b})") == term_set(f"y ~ {a} + {b} + ({a}):({b})")


@given(VARS)
def test_power_two_is_every_pair(variables):
    expected = {frozenset([v]) for v in variables} | {
        frozenset([v, w]) for i, v in enumerate(variables) for w in variables[i + 1:]}
    assert term_set(f"y ~ ({' + '.join(variables)})^2") == expected


@given(VARS, st.randoms(use_true_random=False))
def test_order_of_a_sum_does_not_change_the_terms(variables, random):
    shuffled = list(variables)
    random.shuffle(shuffled)
    assert term_set(f"y ~ {' * '.join(variables)}") == term_set(f"y ~ {' * '.join(shuffled)}")


@given(st.integers(2, 5), st.integers(2, 4), st.integers(0, 2**31 - 1))
def test_two_factor_model_matrix_has_full_rank_and_r_column_count(k1, k2, seed):
    rng = np.random.default_rng(seed)
    n = 4 * k1 * k2
    d = pd.DataFrame({"y": rng.normal(size=n), "g": np.arange(n) % 3,
                      "f1": pd.Categorical(np.arange(n) % k1), "f2": pd.Categorical((np.arange(n) // k1) % k2)})
    frame = ModelFrame.build("y ~ f1 * f2 + (1 | g)", d)
    assert frame.X.shape[1] == k1 * k2 == np.linalg.matrix_rank(frame.X)
    frame0 = ModelFrame.build("y ~ 0 + f1:f2 + (1 | g)", d)
    assert frame0.X.shape[1] == k1 * k2
    np.testing.assert_allclose(frame0.X.sum(axis=1), 1.0)
