"""Time residual structures in :func:`lmmtext.lmm` against nlme side by side (issue 13; Chapter 15).

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_nlme.py [--repeat 5]

Each model (REML, default settings) is fitted with ``lmm(..., residual=...)`` and, when
``Rscript`` and nlme exist (Debian: ``r-base-core r-cran-nlme r-cran-lme4``), with nlme's
``lme``/``gls`` by ``benchmarks/bench_nlme.R`` on nlme's own copy of the data.  The best
wall-clock and CPU time of ``--repeat`` runs are kept; ``ratio`` is lmm's over nlme's
(below 1: lmm is faster); ``loglik diff`` is lmm's REML log-likelihood minus nlme's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
import warnings
from pathlib import Path

from lmmtext.datasets import load_bodyweight, load_orthodont, load_ovary, load_sleepstudy
from lmmtext.lmm import lmm
from lmmtext.residual import AR1, CAR1, VarIdent

HERE = Path(__file__).resolve().parent


def models() -> list[tuple[str, str, object, object]]:
    sine = "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"
    return [
        ("Ovary, AR1 + (1 | Mare)", sine + " + (1 | Mare)", load_ovary(), AR1("Mare")),
        ("Ovary, gls with AR1", sine, load_ovary(), AR1("Mare")),
        ("BodyWeight, CAR1 + (Time | Rat)", "weight ~ Time * Diet + (Time | Rat)", load_bodyweight(),
         CAR1(time="Time", group="Rat")),
        ("Orthodont, VarIdent + (1 | Subject)", "distance ~ age * Sex + (1 | Subject)", load_orthodont(),
         VarIdent("Sex")),
        ("sleepstudy, AR1 + (1 | Subject)", "Reaction ~ Days + (1 | Subject)", load_sleepstudy(),
         AR1("Subject")),
    ]


def time_lmm(formula: str, data: object, residual: object, repeat: int) -> tuple[float, float, float]:
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = lmm(formula, data, residual=residual)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu), fit.loglik


def time_nlme(repeat: int) -> dict[str, dict]:
    if shutil.which("Rscript") is None:
        return {}
    proc = subprocess.run(["Rscript", str(HERE / "bench_nlme.R"), str(repeat)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print("nlme not run:", proc.stderr.strip().splitlines()[-1:])
        return {}
    return {row["name"]: row for row in json.loads(proc.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"# load average {os.getloadavg()[0]:.2f}; best of {args.repeat} runs; REML, default settings")
    ref = time_nlme(args.repeat)
    header = f"{'model':38s} {'lmm s':>8s} {'nlme s':>8s} {'ratio':>6s} {'lmm cpu':>8s} {'nlme cpu':>8s} " \
             f"{'ratio':>6s} {'loglik diff':>12s}"
    print(header + "\n" + "-" * len(header))
    for name, formula, data, residual in models():
        wall, cpu, loglik = time_lmm(formula, data, residual, args.repeat)
        r = ref.get(name)
        if r is None:
            print(f"{name:38s} {wall:8.3f}")
            continue
        print(f"{name:38s} {wall:8.3f} {r['time']:8.3f} {wall / r['time']:6.2f} {cpu:8.3f} "
              f"{r['cpu']:8.3f} {cpu / max(r['cpu'], 1e-3):6.2f} {loglik - r['loglik']:12.2e}")


if __name__ == "__main__":
    main()
