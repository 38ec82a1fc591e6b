"""Time :func:`lmmtext.lmm` against lme4 side by side on public models (issue 14; Chapter 11).

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_lme4.py            # every model, lme4 too if Rscript and lme4 exist
    python benchmarks/bench_lme4.py --quick    # skip the InstEval-sized design (73,421 rows)
    python benchmarks/bench_lme4.py --profile  # add lmm's CPU ms per fit: frame/PLS()/optimize/solve

Each model is fitted by REML with default settings in both programs, the best wall-clock
time of ``--repeat`` runs is kept (formula parsing and design building included: the
whole ``lmm(...)`` and ``lmer(...)`` call), and ``ratio`` is lmm's time over lme4's
(below 1: lmm is faster).  On a shared machine wall-clock times depend on the load, so
the best CPU time of the same runs (process CPU, all threads) and its ratio are printed
too.  ``cpu/wall`` is lmm's CPU-seconds per wall-second over all its runs: about 1 for a
single-threaded fit on an idle core, 2 for a fit that keeps both cores busy, below 1
when the machine is busy with other work.  ``crit diff`` is lmm's REML criterion minus
lme4's (negative: lmm found a lower one).  The data are written to a temporary directory and read
by ``benchmarks/bench_lme4.R``, so both programs fit the same numbers.  Without R or lme4
(Debian: ``r-base-core r-cran-lme4``) only lmm is timed.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_lmm import simulate_insteval  # noqa: E402

from lmmtext.datasets import (load_dyestuff, load_dyestuff2, load_pastes, load_penicillin,  # noqa: E402
                              load_sleepstudy)
import lmmtext.pls as pls  # noqa: E402
from lmmtext.lmm import lmm  # noqa: E402

# The module, not the function ``lmmtext.lmm`` that the package exports under the same name.
lmm_module = importlib.import_module("lmmtext.lmm")

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "tests" / "data"


def models(quick: bool) -> list[tuple[str, str, pd.DataFrame]]:
    """(name, lme4 formula, data); every column the formula uses is precomputed."""
    sleep = load_sleepstudy().assign(logReaction=lambda f: np.log(f["Reaction"]),
                                     Days2=lambda f: f["Days"] ** 2)
    ox = pd.read_csv(TESTDATA / "oxboys.csv", dtype={"Subject": str}).assign(age2=lambda f: f["age"] ** 2)
    hsb = pd.read_csv(TESTDATA / "hsb82.csv", dtype={"school": str})
    machines = pd.read_csv(TESTDATA / "machines.csv", dtype={"Worker": str, "Machine": str})
    out = [
        ("Dyestuff", "Yield ~ 1 + (1 | Batch)", load_dyestuff()),
        ("Dyestuff2 (singular)", "Yield ~ 1 + (1 | Batch)", load_dyestuff2()),
        ("sleepstudy, (Days | Subject)", "Reaction ~ Days + (Days | Subject)", sleep),
        ("sleepstudy, uncorrelated", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", sleep),
        ("sleepstudy, log, quadratic", "logReaction ~ Days + Days2 + (Days | Subject)", sleep),
        ("Penicillin, crossed", "diameter ~ 1 + (1 | plate) + (1 | sample)", load_penicillin()),
        ("Pastes, nested", "strength ~ 1 + (1 | batch/cask)", load_pastes()),
        ("Oxboys, (age | Subject)", "height ~ age + (age | Subject)", ox),
        ("Oxboys, quadratic growth", "height ~ age + age2 + (age + age2 | Subject)", ox),
        ("Hsb82, (cses | school)", "mAch ~ meanses + cses + (1 + cses | school)", hsb),
        ("Machines, (0 + Machine | Worker)", "score ~ Machine + (0 + Machine | Worker)", machines),
        ("Machines, nested", "score ~ Machine + (1 | Worker/Machine)", machines),
    ]
    if not quick:
        crossed = simulate_insteval(np.random.default_rng(2024))
        out.append(("InstEval-sized crossed (73,421)", "y ~ service + (1 | s) + (1 | d) + (1 | dept)", crossed))
    return out


def time_lmm(formula: str, data: pd.DataFrame, repeat: int) -> dict[str, float]:
    """Best wall and CPU time of ``repeat`` fits, CPU-seconds per wall-second, REML criterion."""
    wall, cpu = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            fit = lmm(formula, data)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return {"time": min(wall), "cpu": min(cpu), "cpu_per_wall": sum(cpu) / sum(wall),
            "criterion": fit.reml_criterion}


class Breakdown:
    """CPU time of one ``lmm`` call split into its parts, by wrapping the parts (``--profile``).

    ``PLS()`` is the penalised least-squares system (products of ``Z``, ``X``, ``y``),
    ``optimize`` the criterion's minimisation, ``solve`` the estimates at the optimum;
    ``frame`` is everything else: formula parsing, the model frame and design
    matrices, validation and the result object.
    """

    PARTS = ("PLS()", "optimize", "solve")

    def __init__(self) -> None:
        self.cpu = dict.fromkeys(self.PARTS, 0.0)
        self._saved: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, attr: str, part: str) -> None:
        original = getattr(owner, attr)
        cpu = self.cpu

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                cpu[part] += time.process_time() - start

        self._saved.append((owner, attr, original))
        setattr(owner, attr, timed)

    def __enter__(self) -> Breakdown:
        self._wrap(pls.PLS, "__init__", "PLS()")
        self._wrap(lmm_module, "optimize_theta", "optimize")
        self._wrap(pls.PLS, "solve", "solve")
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, attr, original in reversed(self._saved):
            setattr(owner, attr, original)


def breakdown(formula: str, data: pd.DataFrame, repeat: int) -> str:
    """Per-fit CPU milliseconds of the parts of ``lmm``, as ``frame/PLS()/optimize/solve``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Breakdown() as parts:
            start = time.process_time()
            for _ in range(repeat):
                lmm(formula, data)
            total = time.process_time() - start
    frame = total - sum(parts.cpu.values())
    return "/".join(f"{1e3 * v / repeat:.1f}" for v in (frame, *parts.cpu.values()))


def time_lme4(specs: list[tuple[str, str, pd.DataFrame]], repeat: int) -> dict[str, dict]:
    if shutil.which("Rscript") is None:
        return {}
    probe = subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True)
    if probe.returncode != 0:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        manifest = []
        for k, (name, formula, data) in enumerate(specs):
            path = Path(tmp) / f"model{k}.csv"
            data.to_csv(path, index=False)
            manifest.append({"name": name, "formula": formula, "csv": str(path)})
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest))
        run = subprocess.run(["Rscript", str(Path(__file__).parent / "bench_lme4.R"), tmp, str(repeat)],
                             capture_output=True, text=True, check=True)
    return {row["name"]: row for row in json.loads(run.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the InstEval-sized design")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="also print lmm's CPU ms per fit: frame/PLS()/optimize/solve")
    args = parser.parse_args()
    specs = models(args.quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff())  # first call imports lazily
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of {args.repeat} runs; "
          "REML, default settings\n")
    lme4 = time_lme4(specs, args.repeat)
    header = (f"{'model':<34}{'n':>7}{'lmm s':>9}{'lme4 s':>9}{'ratio':>7}{'lmm cpu':>9}{'lme4 cpu':>9}"
              f"{'ratio':>7}{'cpu/wall':>9}{'crit diff':>11}")
    print(header)
    print("-" * len(header))
    for name, formula, data in specs:
        repeat = 1 if len(data) > 50_000 else args.repeat
        ours = time_lmm(formula, data, repeat)
        ref = lme4.get(name)
        line = f"{name:<34}{len(data):>7}{ours['time']:>9.4f}"
        if ref:
            line += (f"{ref['time']:>9.4f}{ours['time'] / ref['time']:>7.2f}{ours['cpu']:>9.4f}{ref['cpu']:>9.4f}"
                     f"{ours['cpu'] / ref['cpu']:>7.2f}{ours['cpu_per_wall']:>9.2f}"
                     f"{ours['criterion'] - ref['criterion']:>11.1e}")
        else:
            line += f"{'-':>9}{'-':>7}{ours['cpu']:>9.4f}{'-':>9}{'-':>7}{ours['cpu_per_wall']:>9.2f}{'-':>11}"
        if args.profile:
            line += "  " + breakdown(formula, data, repeat)
        print(line)


if __name__ == "__main__":
    main()
