"""Confidence intervals for a fitted linear mixed model: profile, Wald, bootstrap (Chapter 11).

Chapter 11, "Inference for variance components".  The parameters are those of
lme4's ``confint(fit, oldNames = FALSE)``: for each random-effects term the
standard deviations and correlations of its coefficients (``sd_Intercept|Subject``,
``cor_Days.Intercept|Subject``, ``sd_Days|Subject``, in the term's ``theta``
order), then the residual standard deviation ``sigma``, then the fixed effects.

*Profile.*  As lme4 1.1-31 (``profile.merMod`` and ``devfun2`` in ``R/profile.R``),
the profiled criterion is always the ML deviance, also for a REML fit (lme4
refits by ML first; its REML and ML intervals coincide).  With ``beta``
profiled out, the deviance as a function of the standard deviations,
correlations and ``sigma`` is (Chapter 11, eq. ``ch11-profile-deviance``; Bates,
Maechler, Bolker & Walker 2015, eq. 34 before ``sigma`` is profiled)

.. math::

    d(\\mathrm{sd}, \\mathrm{cor}, \\sigma) = \\log|L_\\theta|^2
        + r^2_\\theta / \\sigma^2 + n \\log(2 \\pi \\sigma^2),
    \\qquad T_k = \\operatorname{diag}(\\mathrm{sd}_k)\\, \\operatorname{chol}(\\mathrm{Cor}_k) / \\sigma .

For one parameter ``psi`` held at ``v`` the others are re-optimised; a fixed
effect ``beta_j`` is held through the offset ``x_j v`` (a model with ``X``
without column ``j`` and response ``y - x_j v``), re-optimising ``theta``.  The
signed square root (Chapter 11, eq. ``ch11-profile-zeta``)

.. math::

    \\zeta(v) = \\operatorname{sign}(v - \\hat\\psi)\\,
               \\sqrt{\\min_{\\psi = v} d - d(\\hat\\psi)}

is compared with standard-normal quantiles: the ``level`` interval is
``{v : |zeta(v)| <= z_{(1+level)/2}}`` (eq. ``ch11-profile-interval``).  lme4
interpolates ``zeta`` with splines between the points it evaluated; here each
end is the root of ``zeta(v) -/+ z`` found by Brent's method, so ``zeta`` at
the reported end is ``-/+ z`` to the accuracy of the inner optimisation.  When
``zeta`` does not reach ``-/+ z`` before the edge of the parameter space (a
standard deviation of 0, a correlation of -1 or 1), the edge is the bound, as
in lme4's ``confint.thpr``.

*Wald.*  ``fixef -/+ z se`` for the fixed effects; variance parameters ``NaN``
(eq. ``ch11-wald-interval``; as lme4).

*Bootstrap.*  Parametric: ``y* = X beta_hat + Z Lambda_hat u* + e*`` with
``u* ~ N(0, sigma_hat^2 I)``, ``e* ~ N(0, sigma_hat^2 I)``, refitted by the
fit's criterion; the percentile interval of each parameter (eq.
``ch11-boot-percentile``; Davison and Hinkley 1997, sec. 5.3).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.stats
from threadpoolctl import threadpool_limits

from ._validate import check_bootstrap
from .pls import PLS, optimize_theta

__all__ = ["bootstrap", "confint", "profile"]

#: Methods of :func:`confint`.
METHODS = ("profile", "wald", "boot")


# -- parameters -------------------------------------------------------------------------------
def _lower_triangle(s: int) -> list[tuple[int, int]]:
    """``(row, column)`` of the lower triangle, column by column (lme4's ``theta`` order)."""
    return [(r, c) for c in range(s) for r in range(c, s)]


def _check_fit(fit: Any) -> PLS:
    system = getattr(fit, "system", None)
    if not isinstance(system, PLS):
        raise TypeError(f"fit must be a fit from lmmtext.lmm, got {type(fit).__name__}")
    return system


def variance_names(system: PLS) -> list[str]:
    """Names of the standard deviations, correlations and ``sigma``, as lme4's ``oldNames = FALSE``.

    Examples
    --------
    >>> import lmmtext
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmmtext.lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> variance_names(fit.system)
    ['sd_Intercept|Subject', 'cor_Days.Intercept|Subject', 'sd_Days|Subject', 'sigma']
    """
    names = []
    for term in system.terms:
        for r, c in _lower_triangle(term.n_cols):
            if r == c:
                names.append(f"sd_{term.cnames[r]}|{term.name}")
            else:
                names.append(f"cor_{term.cnames[r]}.{term.cnames[c]}|{term.name}")
    return names + ["sigma"]


def _kinds(system: PLS) -> np.ndarray:
    kinds = ["sd" if r == c else "cor" for t in system.terms for r, c in _lower_triangle(t.n_cols)]
    return np.array(kinds + ["sigma"])


def _par_from_theta(system: PLS, theta: np.ndarray, sigma: float) -> np.ndarray:
    """Standard deviations, correlations and ``sigma`` from ``theta`` and ``sigma``."""
    par = []
    for term, theta_k in zip(system.terms, system.term_theta(theta)):
        T = term.lambda_factor(theta_k)
        cov = sigma**2 * T @ T.T
        sd = np.sqrt(np.diag(cov))
        for r, c in _lower_triangle(term.n_cols):
            if r == c:
                par.append(sd[r])
            else:
                par.append(cov[r, c] / (sd[r] * sd[c]) if sd[r] * sd[c] > 0 else 0.0)
    return np.array(par + [sigma])


def _chol_psd(C: np.ndarray) -> np.ndarray | None:
    """Lower-triangular ``L`` with ``L L' = C`` for a positive semi-definite ``C``, else ``None``.

    Unlike ``numpy.linalg.cholesky`` this accepts a singular ``C`` (a correlation
    of -1 or 1), giving a zero column where the pivot is 0.
    """
    s = C.shape[0]
    L = np.zeros_like(C)
    tol = 1e-12
    for j in range(s):
        d = C[j, j] - L[j, :j] @ L[j, :j]
        if d < -tol:
            return None
        L[j, j] = np.sqrt(max(d, 0.0))
        for i in range(j + 1, s):
            v = C[i, j] - L[i, :j] @ L[j, :j]
            if L[j, j] > 0:
                L[i, j] = v / L[j, j]
            elif abs(v) > tol:
                return None
    return L


def _theta_from_par(system: PLS, par: np.ndarray) -> np.ndarray | None:
    """``theta`` from standard deviations, correlations and ``sigma`` (``None`` if not a covariance)."""
    sigma = par[-1]
    theta, pos = [], 0
    for term in system.terms:
        s = term.n_cols
        tri = _lower_triangle(s)
        values = par[pos:pos + len(tri)]
        pos += len(tri)
        sd = np.zeros(s)
        cor = np.eye(s)
        for (r, c), value in zip(tri, values):
            if r == c:
                sd[r] = value
            else:
                cor[r, c] = cor[c, r] = value
        L = _chol_psd(cor)
        if L is None:
            return None
        T = sd[:, None] * L / sigma
        theta.extend(T[r, c] for r, c in tri)
    return np.array(theta)


def ml_deviance(system: PLS, par: np.ndarray) -> float:
    """The ML deviance with ``beta`` profiled out, at standard deviations, correlations and ``sigma``.

    Chapter 11, eq. ``ch11-profile-deviance``: ``log|L_theta|^2 + r^2_theta / sigma^2
    + n log(2 pi sigma^2)``, lme4's ``devfun2``.  ``inf`` where ``par`` is not a
    covariance (a correlation matrix that is not positive semi-definite).
    """
    sigma = float(par[-1])
    theta = _theta_from_par(system, par) if sigma > 0 else None
    if theta is None:
        return np.inf
    try:
        sol = system.solve(theta, False)
    except np.linalg.LinAlgError:
        return np.inf
    return float(sol.logdet_L + sol.pwrss / sigma**2 + system.n * np.log(2.0 * np.pi * sigma**2))


# -- the profiler -----------------------------------------------------------------------------
def _lbfgsb(fun: Callable[[np.ndarray], float], x0: np.ndarray,
            lower: np.ndarray, upper: np.ndarray) -> scipy.optimize.OptimizeResult:
    """Minimise over variables scaled to order 1; stop on the projected gradient only.

    A stop on the relative reduction of the deviance (L-BFGS-B's ``ftol``) ends
    too early when the start is already close, and moved profile ends by 1e-5.
    """
    return scipy.optimize.minimize(
        fun, np.clip(x0, lower, upper), method="L-BFGS-B", jac="3-point",
        bounds=scipy.optimize.Bounds(lower, upper),
        options={"ftol": 1e-15, "gtol": 1e-4, "maxls": 50, "maxiter": 2000},
    )


def _warm_start(starts: list[tuple[float, np.ndarray]], v: float) -> np.ndarray:
    """The optimum at ``v`` extrapolated linearly from the two nearest ones already found."""
    near = sorted(starts, key=lambda s: abs(s[0] - v))[:2]
    if len(near) == 1 or near[0][0] == near[1][0]:
        return near[0][1]
    (v0, x0), (v1, x1) = near
    return x0 + (v - v0) / (v1 - v0) * (x1 - x0)


class _Profiler:
    """``zeta`` of every parameter of one fit, with warm starts and a cache of evaluations."""

    def __init__(self, fit: Any) -> None:
        system = _check_fit(fit)
        self.system = system
        if fit.method == "ML":
            theta = np.asarray(fit.theta, dtype=float)
        else:
            theta = optimize_theta(system, False).theta_final
        sol = system.solve(theta, False)
        self.kinds = _kinds(system)
        self.names = variance_names(system) + list(fit.fixef.index)
        self.n_var = self.kinds.size
        sigma = float(np.sqrt(sol.sigma2))
        self.scale = np.where(self.kinds == "cor", 1.0, sigma)
        self.lower = np.where(self.kinds == "cor", -1.0, 0.0)
        self.lower[-1] = 1e-8 * sigma
        self.upper = np.where(self.kinds == "cor", 1.0, np.inf)
        par = _par_from_theta(system, theta, sigma)
        # Polish the ML optimum in the scale the profiles use, so that no profile
        # point has a lower deviance than the base.
        res = _lbfgsb(lambda x: ml_deviance(system, x * self.scale), par / self.scale,
                      self.lower / self.scale, self.upper / self.scale)
        if res.fun < ml_deviance(system, par):
            par = res.x * self.scale
        self.par_hat = par
        self.beta_hat = system.solve(_theta_from_par(system, par), False).beta
        self.base = ml_deviance(system, par)
        self.se = np.asarray(fit.fixef_se, dtype=float)
        self._starts: dict[int, list[tuple[float, np.ndarray]]] = {}
        self._cache: dict[tuple[int, float], float] = {}

    def estimate(self, k: int) -> float:
        return float(self.par_hat[k] if k < self.n_var else self.beta_hat[k - self.n_var])

    def limits(self, k: int) -> tuple[float, float]:
        if k < self.n_var and self.kinds[k] != "sigma":
            return float(self.lower[k]), float(self.upper[k])
        return -np.inf, np.inf

    def step(self, k: int) -> float:
        """A first step away from the estimate, roughly a third of a unit of ``zeta``."""
        if k >= self.n_var:
            return 0.3 * float(self.se[k - self.n_var])
        kind = self.kinds[k]
        if kind == "cor":
            return 0.1
        if kind == "sigma":
            return 0.05 * self.par_hat[k]
        return max(0.2 * self.par_hat[k], 0.05 * self.par_hat[-1])

    def _variance_deviance(self, k: int, v: float) -> float:
        free = np.flatnonzero(np.arange(self.n_var) != k)
        starts = self._starts.setdefault(k, [(self.par_hat[k], self.par_hat[free])])
        x0 = _warm_start(starts, v)
        scale = self.scale[free]

        def fun(x: np.ndarray) -> float:
            par = self.par_hat.copy()
            par[k] = v
            par[free] = x * scale
            return ml_deviance(self.system, par)

        res = _lbfgsb(fun, x0 / scale, self.lower[free] / scale, self.upper[free] / scale)
        starts.append((v, res.x * scale))
        return float(res.fun)

    def _fixef_deviance(self, j: int, v: float) -> float:
        X, y = self.system.X, self.system.y
        keep = np.arange(X.shape[1]) != j
        sub = PLS(np.ascontiguousarray(X[:, keep]), y - X[:, j] * v, self.system.terms)
        return float(optimize_theta(sub, False).objective_final)

    def zeta(self, k: int, v: float) -> float:
        """Signed square root of the increase of the profiled deviance (eq. ``ch11-profile-zeta``)."""
        v = float(v)
        key = (k, v)
        if key not in self._cache:
            est = self.estimate(k)
            if v == est:
                self._cache[key] = 0.0
            else:
                if k < self.n_var:
                    dev = self._variance_deviance(k, v)
                else:
                    dev = self._fixef_deviance(k - self.n_var, v)
                self._cache[key] = float(np.sign(v - est) * np.sqrt(max(dev - self.base, 0.0)))
        return self._cache[key]

    def bound(self, k: int, target: float) -> float:
        """The ``v`` with ``zeta(v) = target`` on the side of ``sign(target)``, or the edge."""
        direction = 1.0 if target > 0 else -1.0
        lo, hi = self.limits(k)
        edge = hi if direction > 0 else lo
        a = self.estimate(k)
        if a == edge:
            return float(edge)
        za = 0.0
        step = self.step(k)
        while True:
            b = float(np.clip(a + direction * step, lo, hi))
            zb = self.zeta(k, b)
            if direction * (zb - target) >= 0:
                break
            if b == edge:
                return float(edge)
            slope = (zb - za) / (b - a)
            if slope > 0:
                # Linear extrapolation to the target, overshooting a little, at most 10x the last step.
                step = min(1.25 * abs((target - zb) / slope), 10.0 * abs(b - a))
            else:
                step = 2.0 * abs(b - a)
            a, za = b, zb
        width = abs(b - a)
        return float(scipy.optimize.brentq(
            lambda v: self.zeta(k, v) - target, min(a, b), max(a, b),
            xtol=1e-8 * max(width, abs(a), 1e-8), rtol=1e-10,
        ))


def _one_blas_thread() -> threadpool_limits:
    """Single-threaded BLAS: the many small factorisations gain nothing from threads, and
    OpenBLAS's spin-waiting threads made them several times slower on a busy machine
    (as :func:`lmmtext.pls.optimize_theta`)."""
    return threadpool_limits(limits=1, user_api="blas")


# -- public functions ---------------------------------------------------------------------------
def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)):
        raise TypeError(f"level must be a number in (0, 1), got {type(level).__name__}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return float(level)


def _frame(names: list[str], lower: Any, upper: Any) -> pd.DataFrame:
    return pd.DataFrame({"lower": np.asarray(lower, dtype=float),
                         "upper": np.asarray(upper, dtype=float)}, index=pd.Index(names))


def _simulate(system: PLS, theta: np.ndarray, beta: np.ndarray, sigma: float,
              rng: np.random.Generator) -> np.ndarray:
    """``X beta + sum_k Z_k (I (x) T_k) u_k + e`` with ``u_k``, ``e`` iid ``N(0, sigma^2)``."""
    y = system.X @ beta + sigma * rng.standard_normal(system.n)
    for term, theta_k in zip(system.terms, system.term_theta(theta)):
        T = term.lambda_factor(theta_k)
        u = sigma * rng.standard_normal((term.n_levels, term.n_cols))
        y = y + term.Z @ (u @ T.T).ravel()
    return y


def bootstrap(fit: Any, n_boot: int, rng: np.random.Generator) -> pd.DataFrame:
    """Parametric-bootstrap replicates of every parameter (Chapter 11, eq. ``ch11-boot-percentile``).

    Each replicate simulates ``y* = X beta_hat + Z Lambda_hat u* + e*`` from the
    fit (``u*`` and ``e*`` independent ``N(0, sigma_hat^2 I)``), refits it by the
    fit's criterion (REML or ML) with :class:`lmmtext.pls.PLS` and
    :func:`lmmtext.pls.optimize_theta` on the fit's own ``X`` and ``Z``, and
    records the standard deviations, correlations, ``sigma`` and fixed effects
    (lme4's ``bootMer(fit, FUN)`` with the parameters of ``confint``).

    Parameters
    ----------
    fit : LmmResult
    n_boot : int
        Number of replicates, at least 1.
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        ``n_boot`` rows, one column per parameter (named as in :func:`confint`).

    Raises
    ------
    TypeError
        If ``fit`` is not a fit, ``n_boot`` not an integer or ``rng`` not a Generator.
    ValueError
        If ``n_boot < 1``.
    """
    system = _check_fit(fit)
    check_bootstrap(n_boot, rng)
    reml = fit.method == "REML"
    theta = np.asarray(fit.theta, dtype=float)
    beta = np.asarray(fit.fixef, dtype=float)
    sigma = float(np.sqrt(fit.sigma2))
    rows = []
    with _one_blas_thread():
        for _ in range(int(n_boot)):
            y_star = _simulate(system, theta, beta, sigma, rng)
            refit = PLS(system.X, y_star, system.terms)
            theta_star = optimize_theta(refit, reml).theta_final
            sol = refit.solve(theta_star, reml)
            rows.append(np.concatenate([_par_from_theta(refit, theta_star, np.sqrt(sol.sigma2)),
                                        sol.beta]))
    return pd.DataFrame(rows, columns=variance_names(system) + list(fit.fixef.index))


def confint(fit: Any, method: str = "profile", level: float = 0.95, n_boot: int | None = None,
            rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Confidence intervals for every parameter of a fit, as lme4's ``confint(fit, oldNames = FALSE)``.

    Chapter 11, "Inference for variance components": eqs. ``ch11-profile-interval``
    (profile), ``ch11-wald-interval`` (Wald) and ``ch11-boot-percentile`` (bootstrap).

    Parameters
    ----------
    fit : LmmResult
        A fit from :func:`lmmtext.lmm`, REML or ML.
    method : {"profile", "wald", "boot"}, default "profile"
        ``"profile"``: likelihood-profile intervals of the ML deviance (also for a
        REML fit, as lme4); ``"wald"``: ``fixef -/+ z se`` for the fixed effects,
        ``NaN`` for the variance parameters; ``"boot"``: parametric-bootstrap
        percentile intervals (:func:`bootstrap`).
    level : float, default 0.95
    n_boot : int, optional
        Number of bootstrap replicates; required for ``"boot"``.
    rng : numpy.random.Generator, optional
        Required for ``"boot"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``"lower"`` and ``"upper"``; rows ``sd_<coef>|<group>``,
        ``cor_<coef>.<coef>|<group>`` (term by term, in ``theta`` order), ``sigma``,
        then the fixed effects by name.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``level`` is not in (0, 1), or ``n_boot`` or
        ``rng`` is missing for ``"boot"``.
    TypeError
        If ``fit`` is not a fit from :func:`lmmtext.lmm`.

    Examples
    --------
    >>> import lmmtext
    >>> from lmmtext.datasets import load_dyestuff
    >>> fit = lmmtext.lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff())
    >>> confint(fit).round(2)
                          lower    upper
    sd_Intercept|Batch    12.20    84.06
    sigma                 38.23    67.66
    Intercept           1486.45  1568.55
    """
    system = _check_fit(fit)
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    method = method.lower()
    level = _check_level(level)
    z = float(scipy.stats.norm.ppf(0.5 + level / 2.0))
    names = variance_names(system) + list(fit.fixef.index)
    if method == "wald":
        n_var = len(names) - fit.fixef.size
        beta, se = np.asarray(fit.fixef, dtype=float), np.asarray(fit.fixef_se, dtype=float)
        nan = np.full(n_var, np.nan)
        return _frame(names, np.concatenate([nan, beta - z * se]), np.concatenate([nan, beta + z * se]))
    if method == "boot":
        if n_boot is None or rng is None:
            raise ValueError("method='boot' needs n_boot and rng (a seeded numpy.random.Generator)")
        sample = bootstrap(fit, n_boot, rng)
        return percentile_interval(sample, level)
    with _one_blas_thread():
        prof = _Profiler(fit)
        lower = [prof.bound(k, -z) for k in range(len(names))]
        upper = [prof.bound(k, z) for k in range(len(names))]
    return _frame(names, lower, upper)


def percentile_interval(sample: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Percentile intervals of bootstrap replicates (Chapter 11, eq. ``ch11-boot-percentile``).

    The ``(1 - level)/2`` and ``(1 + level)/2`` sample quantiles of each column,
    interpolated linearly between order statistics (``numpy.quantile``'s default,
    R's ``quantile`` type 7); Davison and Hinkley (1997), sec. 5.3.

    Examples
    --------
    >>> s = pd.DataFrame({"x": np.arange(101.0)})
    >>> percentile_interval(s, 0.9).loc["x"].round(6).tolist()
    [5.0, 95.0]
    """
    if not isinstance(sample, pd.DataFrame):
        raise TypeError(f"sample must be a pandas DataFrame, got {type(sample).__name__}")
    level = _check_level(level)
    q = np.quantile(sample.to_numpy(dtype=float), [0.5 - level / 2.0, 0.5 + level / 2.0], axis=0)
    return _frame(list(sample.columns), q[0], q[1])


def profile(fit: Any, level: float = 0.99, n_points: int = 8) -> pd.DataFrame:
    """The profile ``zeta`` of every parameter, for lme4's profile-zeta plots (eq. ``ch11-profile-zeta``).

    For each parameter, ``zeta`` at ``n_points`` equally spaced values on each side
    of the ML estimate, out to the ends of the ``level`` profile interval (where
    ``|zeta| = z_{(1+level)/2}``, or the edge of the parameter space).

    Parameters
    ----------
    fit : LmmResult
    level : float, default 0.99
    n_points : int, default 8
        Points on each side of the estimate (at least 1).

    Returns
    -------
    pandas.DataFrame
        Long format, columns ``"parameter"`` (names as in :func:`confint`),
        ``"value"`` and ``"zeta"``, sorted by parameter (in :func:`confint`'s
        order) and value; the estimate is a row with ``zeta = 0``.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1) or ``n_points < 1``.
    TypeError
        If ``fit`` is not a fit, or ``n_points`` not an integer.
    """
    level = _check_level(level)
    if isinstance(n_points, (bool, np.bool_)) or not isinstance(n_points, (int, np.integer)):
        raise TypeError(f"n_points must be an integer, got {type(n_points).__name__}")
    if n_points < 1:
        raise ValueError(f"n_points must be at least 1, got {n_points}")
    z = float(scipy.stats.norm.ppf(0.5 + level / 2.0))
    rows = []
    with _one_blas_thread():
        prof = _Profiler(fit)
        for k, name in enumerate(prof.names):
            est = prof.estimate(k)
            lo, hi = prof.bound(k, -z), prof.bound(k, z)
            values = np.unique(np.concatenate([np.linspace(lo, est, n_points + 1),
                                               np.linspace(est, hi, n_points + 1)]))
            rows.extend((name, float(v), prof.zeta(k, v)) for v in values)
    return pd.DataFrame(rows, columns=["parameter", "value", "zeta"])
