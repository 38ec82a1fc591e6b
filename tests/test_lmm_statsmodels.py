"""lmm() against statsmodels' MixedLM on the models MixedLM can fit."""
import warnings

import numpy as np
import pytest

from lmmtext.datasets import load_dyestuff, load_penicillin, load_sleepstudy
from lmmtext.lmm import lmm

smf = pytest.importorskip("statsmodels.formula.api")

# MixedLM stops at a looser tolerance than lme4 or lmm (its Dyestuff REML batch variance is
# 1764.17 against lme4's 1764.050), so estimates are compared at 1e-4 relative.
RTOL = 1e-4


def mixedlm(formula, data, groups, re_formula=None, reml=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MixedLM's convergence chatter
        return smf.mixedlm(formula, data, groups=data[groups], re_formula=re_formula).fit(reml=reml)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_dyestuff_random_intercept_matches_mixedlm(method):
    d = load_dyestuff()
    ref = mixedlm("Yield ~ 1", d, "Batch", reml=method == "REML")
    fit = lmm("Yield ~ 1 + (1 | Batch)", d, method=method)
    np.testing.assert_allclose(fit.fixef.to_numpy(), ref.fe_params.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.covariance["Batch"].to_numpy(), ref.cov_re.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.sigma2, ref.scale, rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, ref.llf, rtol=1e-8)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_sleepstudy_correlated_slopes_match_mixedlm(method):
    s = load_sleepstudy()
    ref = mixedlm("Reaction ~ Days", s, "Subject", re_formula="~Days", reml=method == "REML")
    fit = lmm("Reaction ~ Days + (Days | Subject)", s, method=method)
    np.testing.assert_allclose(fit.fixef.to_numpy(), ref.fe_params.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.fixef_se.to_numpy(), ref.bse_fe.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.covariance["Subject"].to_numpy(), ref.cov_re.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.sigma2, ref.scale, rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, ref.llf, rtol=1e-8)
    # Conditional modes: MixedLM's random_effects are E[b | y] at its own estimates.
    modes = np.array([ref.random_effects[k].to_numpy() for k in fit.ranef["Subject"].index])
    np.testing.assert_allclose(fit.ranef["Subject"].to_numpy(), modes, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_penicillin_crossed_intercepts_match_mixedlm_variance_components(method):
    """MixedLM has no crossed terms; it fits them as variance components within one group.

    Its default optimiser stops 1.2e-4 (relative) short on the sample variance; with BFGS
    and a tight gradient tolerance it agrees with lmm (and lme4) to better than 1e-6.
    """
    d = load_penicillin().assign(one=1)
    vc = {"plate": "0 + C(plate)", "sample": "0 + C(sample)"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("diameter ~ 1", d, groups="one", re_formula="0", vc_formula=vc).fit(
            reml=method == "REML", method="bfgs", gtol=1e-10)
    fit = lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", d, method=method)
    variances = [fit.covariance["plate"].iat[0, 0], fit.covariance["sample"].iat[0, 0]]
    np.testing.assert_allclose(variances, ref.vcomp, rtol=RTOL)
    np.testing.assert_allclose(fit.fixef.to_numpy(), ref.fe_params.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.fixef_se.to_numpy(), ref.bse_fe.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fit.sigma2, ref.scale, rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, ref.llf, rtol=1e-8)
