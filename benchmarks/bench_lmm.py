"""Time :func:`lmmtext.lmm.lmm` against statsmodels' ``MixedLM`` on the same models.

Run from the repository root (not part of the test suite; it takes a few minutes,
most of it statsmodels on the crossed design)::

    python benchmarks/bench_lmm.py            # everything
    python benchmarks/bench_lmm.py --quick    # skip statsmodels on the crossed design

Models (REML throughout):

1. ``sleepstudy``: ``Reaction ~ Days + (Days | Subject)``, correlated random slopes.
2. A simulated crossed design the size of lme4's ``InstEval`` (73,421 ratings;
   2,972 students ``s``, 1,128 lecturers ``d``, 14 departments ``dept``; a 0/1
   covariate ``service``; seeded): ``y ~ service + (1 | s) + (1 | d) + (1 | dept)``.
   statsmodels needs over a minute for the first 2,000 rows alone, so it is
   timed on those rows (``lmm`` is timed on them too, for the ratio) and
   ``lmm`` alone on all rows, with its peak memory.
3. A one-way model with 10^6 observations in 10^4 groups: ``y ~ 1 + (1 | g)``.

Times are the best of ``--repeat`` runs (wall clock); the machine's load average
is printed because a busy machine slows every number.
"""
from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from lmmtext.datasets import load_sleepstudy
from lmmtext.lmm import lmm

CROSSED = "y ~ service + (1 | s) + (1 | d) + (1 | dept)"


def simulate_insteval(rng: np.random.Generator) -> pd.DataFrame:
    """Ratings with InstEval's dimensions: students and lecturers crossed, lecturers within departments."""
    n, n_s, n_d, n_dept = 73_421, 2_972, 1_128, 14
    s = rng.integers(n_s, size=n)
    d = rng.integers(n_d, size=n)
    dept = rng.integers(n_dept, size=n_d)[d]
    service = (rng.random(n) < 0.43).astype(float)
    y = (3.2 - 0.07 * service + rng.normal(0, 0.32, n_s)[s] + rng.normal(0, 0.51, n_d)[d]
         + rng.normal(0, 0.08, n_dept)[dept] + rng.normal(0, 1.18, n))
    return pd.DataFrame({"y": y, "service": service, "s": pd.Categorical(s), "d": pd.Categorical(d),
                         "dept": pd.Categorical(dept)})


def simulate_oneway(rng: np.random.Generator, n: int = 10**6, n_groups: int = 10**4) -> pd.DataFrame:
    g = rng.integers(n_groups, size=n)
    y = 10.0 + rng.normal(0, 2.0, n_groups)[g] + rng.normal(0, 3.0, n)
    return pd.DataFrame({"y": y, "g": pd.Categorical(g)})


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    return run


def report(name: str, t_lmm: float, t_sm: float | None, note: str = "") -> None:
    ratio = f"{t_sm / t_lmm:7.1f}x" if t_sm else "      -"
    sm = f"{t_sm:9.3f}" if t_sm else "        -"
    print(f"{name:<34} lmm {t_lmm:8.3f} s   statsmodels {sm} s   speed-up {ratio}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip statsmodels on the crossed design")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of {args.repeat} runs\n")

    sleep = load_sleepstudy()
    quiet(lambda: lmm("Reaction ~ Days + (Days | Subject)", sleep))()  # first call imports lazily
    t_lmm, fit = best_time(lambda: lmm("Reaction ~ Days + (Days | Subject)", sleep), max(args.repeat, 5))
    t_sm, _ = best_time(quiet(lambda: smf.mixedlm("Reaction ~ Days", sleep, groups=sleep["Subject"],
                                                  re_formula="~Days").fit(reml=True)), max(args.repeat, 5))
    report("sleepstudy (Days | Subject)", t_lmm, t_sm, f"[{fit.optsummary.n_evaluations} evaluations]")

    crossed = simulate_insteval(np.random.default_rng(2024))
    tracemalloc.start()
    t_full, fit = best_time(quiet(lambda: lmm(CROSSED, crossed)), 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    t_full_plain, fit = best_time(quiet(lambda: lmm(CROSSED, crossed)), args.repeat)
    report("crossed, 73,421 rows (lmm only)", t_full_plain, None,
           f"[{fit.optsummary.n_evaluations} evaluations; peak traced {peak / 1024**3:.2f} GiB, "
           f"process max RSS {rss:.2f} GiB]")
    head = crossed.iloc[:2000].copy()
    for col in ("s", "d", "dept"):
        head[col] = head[col].cat.remove_unused_categories()
    t_head, _ = best_time(quiet(lambda: lmm(CROSSED, head)), args.repeat)
    if args.quick:
        report("crossed, first 2,000 rows", t_head, None, "[statsmodels skipped: --quick]")
    else:
        vc = {"s": "0 + C(s)", "d": "0 + C(d)", "dept": "0 + C(dept)"}
        head_sm = head.assign(one=1)
        t_sm, _ = best_time(quiet(lambda: smf.mixedlm("y ~ service", head_sm, groups="one", re_formula="0",
                                                      vc_formula=vc).fit(reml=True)), 1)
        report("crossed, first 2,000 rows", t_head, t_sm, "[statsmodels: 1 run]")

    oneway = simulate_oneway(np.random.default_rng(6))
    t_one, fit = best_time(quiet(lambda: lmm("y ~ 1 + (1 | g)", oneway)), args.repeat)
    t_sm, _ = best_time(quiet(lambda: smf.mixedlm("y ~ 1", oneway, groups=oneway["g"]).fit(reml=True)), 1)
    report("one-way, 10^6 rows, 10^4 groups", t_one, t_sm, "[statsmodels: 1 run]")


if __name__ == "__main__":
    main()
