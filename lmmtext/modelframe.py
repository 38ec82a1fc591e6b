"""The model frame: from an lme4 formula and a data frame to ``y``, ``X`` and ``Z`` (Chapters 7-9).

:func:`ModelFrame.build` does what R's ``model.frame`` and ``model.matrix``
and lme4's ``mkReTrms`` do, in the same way, and remembers how, so that the
same coding can be applied to new data (:meth:`ModelFrame.fixed_matrix`,
:meth:`ModelFrame.random_parts`) for prediction and simulation, and so that a
refit (bootstrap, profile, leave-one-group-out) never parses the formula again.

Variables are evaluated as R evaluates them: a name is a column of the data,
else a name where :func:`lmmtext.lmm` was called (the caller's own functions
and constants), else one of R's functions that this module provides (``log``,
``exp``, ``sqrt``, ``abs``, ``log2``, ``log10``, ``log1p``, ``sin``, ``cos``, ``tan``,
the constant ``pi``, ``I``, ``factor``, ``scale``, ``center``, ``C``); ``^`` is a power.  ``scale`` divides by the
sample standard deviation (``n - 1``), as R's.  Their centres and spreads are
those of the fitting data and are reused, not recomputed, on new data.

Coding follows R's ``model.matrix``:

* a pandas ``Categorical`` is an R factor with the same levels (the first is
  the reference); an *ordered* one is an ordered factor, coded by orthonormal
  polynomial contrasts (R's ``contr.poly``: columns ``x.L``, ``x.Q``, ``x.C``,
  ``x^4``, ...); a column of strings is a factor with sorted levels; a
  boolean column a factor with levels ``False``, ``True``; ``factor(x)`` of a
  numeric column has its values as levels, sorted numerically (2, 9, 10);
* levels that do not occur in the rows used are dropped before coding
  (``drop.unused.levels = TRUE``, as lme4);
* a factor in a term is coded by treatment contrasts when the term without it
  is in the model (the empty term counts), else by one indicator per level;
  without an intercept the first factor of the first term with a factor gets
  indicators (R's ``TermCode`` and ``modelmatrix``);
* an interaction's columns are products, the first variable varying fastest.

Column names follow the ``formulae`` package's convention, which the book has
always used: ``Intercept``, ``Sex[Female]``, ``Days``, ``x[b]:z``; R writes
``(Intercept)``, ``SexFemale``, ``xb:z`` (the README gives the rule).
"""
from __future__ import annotations

import builtins
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .formula import Bar, Formula, Terms, parse_formula
from .remat import ReMat

__all__ = ["ModelFrame", "RandomPart", "caller_namespace", "contr_poly"]


# -- R's functions -------------------------------------------------------------------------
def contr_poly(n_levels: int) -> tuple[np.ndarray, list[str]]:
    """R's ``contr.poly(n)``: orthonormal polynomial contrasts on the scores ``1, ..., n``.

    Returns the ``n x (n - 1)`` matrix and the column suffixes ``.L``, ``.Q``,
    ``.C``, ``^4``, ...

    Examples
    --------
    >>> C, names = contr_poly(3)
    >>> np.round(C, 4).tolist(), names
    ([[-0.7071, 0.4082], [-0.0, -0.8165], [0.7071, 0.4082]], ['.L', '.Q'])
    """
    scores = np.arange(1.0, n_levels + 1)
    V = np.vander(scores - scores.mean(), n_levels, increasing=True)
    Q, R = np.linalg.qr(V)
    Z = Q * np.diag(R)
    Z = Z / np.sqrt(np.sum(Z**2, axis=0))
    names = [".L", ".Q", ".C"] + [f"^{k}" for k in range(4, n_levels)]
    return Z[:, 1:], names[: n_levels - 1]


def _as_array(x: Any) -> Any:
    return x.to_numpy() if isinstance(x, pd.Series) and not isinstance(x.dtype, pd.CategoricalDtype) else x


def _factor(x: Any, levels: Any = None) -> pd.Categorical:
    """R's ``factor(x)``: levels sorted (numbers numerically), or as given; a factor keeps its order."""
    if isinstance(x, pd.Series) and isinstance(x.dtype, pd.CategoricalDtype):
        x = x.array
    if levels is not None:
        return pd.Categorical(np.asarray(x, dtype=object), categories=list(levels))
    if isinstance(x, pd.Categorical):
        return x
    values = pd.Series(np.asarray(x))
    return pd.Categorical(values, categories=_sorted_levels(values))


def _sorted_levels(values: pd.Series) -> list:
    present = pd.unique(values.dropna())
    try:
        return sorted(present)
    except TypeError:  # mixed types: sort by text, as R sorts a character vector
        return sorted(present, key=str)


class _Transforms:
    """The stateful functions of one variable's evaluation (``scale``, ``center``).

    While fitting, each call computes its centre and spread and appends them to
    ``memory``; on new data the calls take them back in the same order.
    """

    def __init__(self, memory: list, fitting: bool) -> None:
        self.memory, self.fitting, self.calls = memory, fitting, 0

    def _state(self, compute: Any) -> Any:
        if self.fitting:
            self.memory.append(compute())
        state = self.memory[self.calls]
        self.calls += 1
        return state

    def scale(self, x: Any, center: bool = True, scale: bool = True) -> np.ndarray:
        """R's ``scale``: ``(x - mean) / sd`` with the sample SD (``n - 1``)."""
        v = np.asarray(_as_array(x), dtype=float)

        def compute() -> tuple[float, float]:
            m = float(np.nanmean(v)) if center else 0.0
            ok = v[~np.isnan(v)] - m
            s = float(np.sqrt(np.sum(ok**2) / (ok.size - 1))) if scale else 1.0
            return m, s

        m, s = self._state(compute)
        return (v - m) / s

    def center(self, x: Any) -> np.ndarray:
        """``x - mean(x)`` (the ``formulae``/``patsy`` function of that name)."""
        return self.scale(x, center=True, scale=False)

    def namespace(self) -> dict[str, Any]:
        return {
            "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs, "log2": np.log2,
            "log10": np.log10, "log1p": np.log1p, "sin": np.sin, "cos": np.cos, "tan": np.tan,
            "pi": np.pi, "I": lambda x: x, "factor": _factor,
            "C": _factor, "scale": self.scale, "center": self.center,
        }


def caller_namespace(depth: int) -> dict[str, Any]:
    """The globals and locals of the frame ``depth`` levels above the caller, merged (locals win)."""
    frame = sys._getframe(depth + 1)
    return {**frame.f_globals, **frame.f_locals}


class _Lookup(Mapping):
    """Name lookup as R's: the data's columns, then the caller's names, then R's functions."""

    def __init__(self, data: pd.DataFrame, caller: Mapping, functions: dict) -> None:
        self.data, self.caller, self.functions = data, caller, functions

    def __getitem__(self, key: str) -> Any:
        if key in self.data.columns:
            return self.data[key]
        if key in self.caller:
            return self.caller[key]
        if key in self.functions:
            return self.functions[key]
        raise KeyError(key)

    def __iter__(self):  # pragma: no cover - eval never iterates its locals
        return iter(self.data.columns)

    def __len__(self) -> int:  # pragma: no cover
        return len(self.data.columns)


def _python(text: str) -> str:
    """An R expression as Python: ``^`` is ``**``, ``TRUE``/``FALSE``, backticked names."""
    out, k = [], 0
    while k < len(text):
        ch = text[k]
        if ch == "`":
            end = text.index("`", k + 1)
            out.append(f"__column__({text[k + 1:end]!r})")
            k = end + 1
            continue
        out.append("**" if ch == "^" else ch)
        k += 1
    code = "".join(out)
    for r, py in (("TRUE", "True"), ("FALSE", "False")):
        code = _replace_word(code, r, py)
    return code


def _replace_word(code: str, word: str, new: str) -> str:
    return re.sub(rf"(?<![A-Za-z0-9._]){word}(?![A-Za-z0-9._])", new, code)


# -- variables -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Variable:
    """How one variable is coded: numeric, or a factor with its levels."""

    text: str
    levels: pd.Index | None = None
    ordered: bool = False

    @property
    def is_factor(self) -> bool:
        return self.levels is not None


def _evaluate(text: str, data: pd.DataFrame, caller: Mapping, memory: list, fitting: bool) -> Any:
    transforms = _Transforms(memory, fitting)
    functions = transforms.namespace()
    functions["__column__"] = lambda name: data[name]
    lookup = _Lookup(data, caller, functions)
    try:
        with np.errstate(all="ignore"):  # log(0) and the like are reported by _check_finite
            value = eval(_python(text), {"__builtins__": builtins}, lookup)  # noqa: S307
    except NameError as exc:
        name = getattr(exc, "name", None) or str(exc)
        if name == text:
            raise ValueError(
                f"the data have no column {name!r} (and nothing of that name is defined where lmm "
                f"was called); columns: {list(data.columns)}"
            ) from None
        raise ValueError(
            f"unknown variable or function {name!r} in {text!r}: not a column of the data, not defined "
            "where lmm was called, and not one of log, exp, sqrt, abs, log2, log10, log1p, sin, cos, "
            "tan, pi, I, factor, scale, center, C"
        ) from None
    except KeyError as exc:
        raise ValueError(f"{text!r} names column {exc.args[0]!r}, which the data do not have") from None
    except SyntaxError as exc:
        raise ValueError(f"cannot read the expression {text!r}: {exc.msg}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"cannot evaluate {text!r}: {exc}") from exc
    if np.ndim(value) == 0:
        value = np.full(len(data), value)
    if isinstance(value, pd.DataFrame) or np.ndim(value) != 1 or len(value) != len(data):
        raise ValueError(
            f"{text!r} must give one value per row of the data ({len(data)}), "
            f"got shape {np.shape(value)}"
        )
    return value


def _classify(text: str, value: Any) -> tuple[_Variable, np.ndarray]:
    """The variable's kind and its values (floats, or objects for a factor) and missing mask."""
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        cat = pd.Categorical(value)
        return _Variable(text, pd.Index(cat.categories), bool(cat.ordered)), cat
    arr = np.asarray(value)
    if arr.dtype == bool:
        return _Variable(text, pd.Index([False, True])), pd.Categorical(arr, categories=[False, True])
    if arr.dtype.kind in "iuf":
        return _Variable(text), arr.astype(float)
    if arr.dtype.kind in "OSU":
        series = pd.Series(arr, dtype=object)
        non_null = series.dropna()
        if len(non_null) and all(isinstance(v, (bool, np.bool_)) for v in non_null):
            levels = [False, True]
        elif len(non_null) and all(isinstance(v, (int, float, np.number)) for v in non_null):
            return _Variable(text), series.astype(float).to_numpy()
        else:
            levels = _sorted_levels(series)
        return _Variable(text, pd.Index(levels, dtype=object)), pd.Categorical(series, categories=levels)
    raise TypeError(f"{text!r} has dtype {arr.dtype}, which is neither numeric nor a factor")


def _missing(values: Any) -> np.ndarray:
    if isinstance(values, pd.Categorical):
        return values.codes < 0
    return np.isnan(values)


# -- coding --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Coding:
    """The columns of one model (fixed part, or one bar's left-hand side)."""

    intercept: bool
    terms: tuple[tuple[tuple[str, int], ...], ...]  # per term: (variable, 1 contrasts | 2 indicators)
    names: tuple[str, ...]


def _coding(model: Terms, variables: dict[str, _Variable], where: str) -> _Coding:
    present = {frozenset()} if model.intercept else set()
    present_all = {frozenset()} | {frozenset(t) for t in model.terms}
    coded: list[list[list]] = []
    for term in model.terms:
        entry = []
        for v in term:
            rest = frozenset(term) - {v}
            contrasts = not rest or rest in present_all
            entry.append([v, 1 if contrasts else 2])
        coded.append(entry)
        present.add(frozenset(term))
    if not model.intercept:
        first = next(((i, j) for i, entry in enumerate(coded) for j, (v, _) in enumerate(entry)
                      if variables[v].is_factor), None)
        if first is not None:
            coded[first[0]][first[1]][1] = 2
    names = ["Intercept"] if model.intercept else []
    for entry in coded:
        names += _term_names([(variables[v], code) for v, code in entry])
    if not names:
        raise ValueError(f"the {where} has no columns")
    terms = tuple(tuple((v, code) for v, code in entry) for entry in coded)
    return _Coding(model.intercept, terms, tuple(names))


def _variable_names(var: _Variable, code: int) -> list[str]:
    if not var.is_factor:
        return [var.text]
    labels = [str(level) for level in var.levels]
    if code == 2:
        return [f"{var.text}[{lab}]" for lab in labels]
    if var.ordered:
        return [var.text + suffix for suffix in contr_poly(len(labels))[1]]
    return [f"{var.text}[{lab}]" for lab in labels[1:]]


def _term_names(parts: list[tuple[_Variable, int]]) -> list[str]:
    names = [""]
    for var, code in parts:  # the first variable varies fastest
        names = [f"{old}:{new}" if old else new for new in _variable_names(var, code) for old in names]
    return names


def _variable_columns(var: _Variable, code: int, values: Any) -> np.ndarray:
    if not var.is_factor:
        return np.asarray(values, dtype=float)[:, None]
    codes = values.codes
    k = len(var.levels)
    if code == 2:
        basis = np.eye(k)
    elif var.ordered:
        basis = contr_poly(k)[0]
    else:
        basis = np.eye(k)[:, 1:]
    out = basis[np.where(codes < 0, 0, codes)]
    out[codes < 0] = np.nan
    return out


def _model_matrix(coding: _Coding, variables: dict[str, _Variable], values: dict[str, Any],
                  n: int) -> np.ndarray:
    blocks = [np.ones((n, 1))] if coding.intercept else []
    for term in coding.terms:
        cols = np.ones((n, 1))
        for v, code in term:
            new = _variable_columns(variables[v], code, values[v])
            cols = (cols[:, None, :] * new[:, :, None]).reshape(n, -1)
        blocks.append(cols)
    return np.column_stack(blocks) if blocks else np.empty((n, 0))


# -- grouping factors ----------------------------------------------------------------------
def _group_factor(text: str, raw: Any) -> pd.Categorical:
    """A grouping variable as a factor: a Categorical keeps its order, other values are sorted."""
    if np.ndim(raw) != 1:
        raise ValueError(f"the grouping factor {text!r} must have one value per row")
    return _factor(raw)


def _grouping(cats: list[pd.Categorical], name: str) -> tuple[np.ndarray, pd.Index]:
    """Codes and observed levels of a grouping factor, the interaction ``g1:g2`` in lexical order."""
    sizes = [len(c.categories) for c in cats]
    key = np.ravel_multi_index([c.codes for c in cats], sizes)
    uniq, codes = np.unique(key, return_inverse=True)
    if len(cats) == 1:
        return codes, pd.Index(cats[0].categories[uniq], name=name)
    parts = np.unravel_index(uniq, sizes)
    labels = [":".join(str(c.categories[i]) for c, i in zip(cats, idx)) for idx in zip(*parts)]
    return codes, pd.Index(labels, name=name)


def _group_labels(raws: list[Any]) -> np.ndarray:
    """Each row's grouping level as the fit names it (``"a:b"`` for an interaction)."""
    arrays = [np.asarray(r, dtype=object) for r in raws]
    if len(arrays) == 1:
        return arrays[0]
    return np.array([":".join(str(v) for v in row) for row in zip(*arrays)], dtype=object)


# -- checks ----------------------------------------------------------------------------------
def _weights(weights: Any, data: pd.DataFrame) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise ValueError(f"weights names column {weights!r}, which the data do not have")
        weights = data[weights]
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("weights must be numeric (a column name or one number per row)") from None
    if w.ndim != 1 or w.size != len(data):
        raise ValueError(f"weights must hold one number per row of data ({len(data)}), got shape {w.shape}")
    return w


def _check_weights(w: np.ndarray) -> None:
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite numbers")
    if np.any(w < 0):
        raise ValueError(f"weights must not be negative (smallest: {w.min():g})")
    if np.any(w == 0):
        raise ValueError(
            f"{int(np.sum(w == 0))} weight(s) are 0: a row with weight 0 has infinite residual "
            "variance and carries no information; drop those rows"
        )


def _check_finite(text: str, values: np.ndarray, index: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        rows = list(index[bad][:5])
        raise ValueError(
            f"{text!r} has {int(bad.sum())} infinite value(s) (rows {rows}"
            f"{', ...' if bad.sum() > 5 else ''}); a model cannot use them"
        )


def _fixed_variables(parsed: Formula) -> list[str]:
    return list(dict.fromkeys(v for term in parsed.fixed.terms for v in term))


def _expr_variables(parsed: Formula) -> list[str]:
    return list(dict.fromkeys(v for bar in parsed.bars for term in bar.expr.terms for v in term))


def _group_variables(parsed: Formula) -> list[str]:
    return list(dict.fromkeys(v for bar in parsed.bars for v in bar.group))


# -- the frame -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RandomPart:
    """One random-effects term evaluated on some rows (:meth:`ModelFrame.random_parts`).

    ``values`` is the ``n x s`` model matrix of the term's coefficients ``cnames``;
    ``labels`` the grouping level of each row (``"a:b"`` for an interaction);
    ``codes`` its position among the fitted levels of the term, ``-1`` for a
    level the fit has not seen.
    """

    name: str
    cnames: tuple[str, ...]
    values: np.ndarray
    labels: np.ndarray
    codes: np.ndarray


@dataclass(frozen=True, eq=False, repr=False)
class ModelFrame:
    """A formula applied to data, with the recipe to apply it again (Chapters 7-9).

    Attributes
    ----------
    formula : lmmtext.formula.Formula
    y : ndarray of shape (n,)
        The response on the rows used.
    X : ndarray of shape (n, p)
        The fixed-effects model matrix.
    fixef_names : tuple of str
    terms : list of lmmtext.remat.ReMat
        One per bar (after expanding ``g1/g2`` and ``||``), in the formula's order.
    weights : ndarray of shape (n,) or None
        Precision weights (residual variance ``sigma^2 / w_i``).
    index : pandas.Index
        The labels of the data's rows used (rows with a missing value dropped
        when ``missing="drop"``).
    """

    formula: Formula
    y: np.ndarray
    X: np.ndarray
    fixef_names: tuple[str, ...]
    terms: tuple[ReMat, ...]
    weights: np.ndarray | None
    index: pd.Index
    variables: dict[str, _Variable] = field(repr=False)
    memory: dict[str, list] = field(repr=False)
    caller: Mapping = field(repr=False)
    fixed_coding: _Coding = field(repr=False)
    bar_codings: tuple[_Coding, ...] = field(repr=False)

    @property
    def n(self) -> int:
        """The number of rows used."""
        return self.y.size

    @classmethod
    def build(
        cls, formula: str | Formula, data: Any, *, weights: Any = None, missing: str = "error",
        caller: Mapping | None = None,
    ) -> ModelFrame:
        """Evaluate, check and code ``formula`` on ``data`` (R's ``model.frame`` and ``model.matrix``).

        Parameters
        ----------
        formula : str or Formula
        data : pandas.DataFrame
        weights : str, array-like or None
            A column name or one positive weight per row of ``data``.
        missing : {"error", "drop"}
            What to do with rows that have a missing value (NaN) in a variable
            the model uses: raise, or drop them with a warning (lme4's
            ``na.action = na.omit``).
        caller : mapping, optional
            Names visible to the formula besides the data's columns (the
            caller's namespace; see :func:`caller_namespace`).

        Raises
        ------
        ValueError, TypeError
            For every input that cannot be read as lme4 would read it; the
            message names the variable, column or rows.
        """
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if missing not in ("error", "drop"):
            raise ValueError(f"missing must be 'error' or 'drop', got {missing!r}")
        parsed = formula if isinstance(formula, Formula) else parse_formula(formula)
        caller = {} if caller is None else caller
        model_texts = list(dict.fromkeys(
            [parsed.response] + _fixed_variables(parsed) + _expr_variables(parsed)))
        group_texts = _group_variables(parsed)
        memory: dict[str, list] = {t: [] for t in model_texts + group_texts}
        classified = {t: _classify(t, _evaluate(t, data, caller, memory[t], fitting=True))
                      for t in model_texts}
        groups = {t: _group_factor(t, _evaluate(t, data, caller, memory[t], fitting=True))
                  for t in group_texts}
        w = _weights(weights, data)
        bad = {t: _missing(v) for t, (_, v) in classified.items()}
        bad.update({t: g.codes < 0 for t, g in groups.items()})
        if w is not None:
            bad["(weights)"] = np.isnan(w)
        incomplete = np.logical_or.reduce(list(bad.values())) if bad else np.zeros(len(data), bool)
        if incomplete.any():
            per_var = {t: int(m.sum()) for t, m in sorted(bad.items()) if m.any()}
            count = int(incomplete.sum())
            if missing == "error":
                raise ValueError(
                    f"{count} row(s) have missing values (NaN) in the variables used: {per_var}; "
                    "lmm does not drop rows silently: remove or impute them, or pass missing='drop'"
                )
            warnings.warn(
                f"dropped {count} of {len(data)} row(s) with missing values (NaN) in {per_var} "
                "(missing='drop', as lme4's na.omit)", UserWarning, stacklevel=3,
            )
        keep = ~incomplete
        index = data.index[keep]
        variables: dict[str, _Variable] = {}
        values: dict[str, Any] = {}
        for t, (var, v) in classified.items():
            v = v[keep]
            if var.is_factor:
                v = v.remove_unused_categories()
                var = replace(var, levels=pd.Index(v.categories))
            else:
                _check_finite(t, v, index)
            variables[t], values[t] = var, v
        if w is not None:
            w = w[keep]
            _check_weights(w)
        if variables[parsed.response].is_factor:
            raise TypeError(f"the response {parsed.response!r} must be numeric, not a factor")
        y = values[parsed.response]
        if y.size == 0:
            raise ValueError("no rows left to fit")
        if np.ptp(y) == 0:
            raise ValueError(
                f"the response {parsed.response!r} has no variation (every value is {y[0]:g}); "
                "there is nothing to fit"
            )
        for t in _fixed_variables(parsed) + _expr_variables(parsed):
            if variables[t].is_factor and len(variables[t].levels) < 2:
                raise ValueError(
                    f"the factor {t!r} has only one level in the rows used "
                    f"({[str(v) for v in variables[t].levels]}); contrasts need at least two, as in R"
                )
        fixed_coding = _coding(parsed.fixed, variables, "fixed-effects part")
        X = _model_matrix(fixed_coding, variables, values, y.size)
        bar_codings = tuple(_bar_coding(bar, variables) for bar in parsed.bars)
        terms = []
        for bar, coding in zip(parsed.bars, bar_codings):
            cats = [groups[v][keep].remove_unused_categories() for v in bar.group]
            name = ":".join(bar.group)
            codes, levels = _grouping(cats, name)
            Zvalues = _model_matrix(coding, variables, values, y.size)
            terms.append(ReMat.from_factor(name, codes, levels, Zvalues, coding.names))
        return cls(
            formula=parsed, y=y, X=X, fixef_names=fixed_coding.names, terms=tuple(terms), weights=w,
            index=index, variables=variables, memory=memory, caller=caller,
            fixed_coding=fixed_coding, bar_codings=bar_codings,
        )

    # -- new data ------------------------------------------------------------------------
    def _evaluate_new(self, data: pd.DataFrame, text: str) -> Any:
        if text not in data.columns and text.isidentifier() and text not in self.caller:
            raise ValueError(f"newdata has no column {text!r}, which the model uses")
        try:
            return _evaluate(text, data, self.caller, self.memory[text], fitting=False)
        except ValueError as exc:
            raise ValueError(f"newdata: {exc}") from None

    def _values(self, data: pd.DataFrame, texts: list[str]) -> dict[str, Any]:
        """Evaluate model variables on new data with the fit's transforms and levels."""
        out = {}
        for t in texts:
            raw = self._evaluate_new(data, t)
            var = self.variables[t]
            if not var.is_factor:
                out[t] = np.asarray(_as_array(raw), dtype=float)
                continue
            labels = np.asarray(raw, dtype=object)
            codes = var.levels.get_indexer(labels)
            unseen = sorted({str(x) for x, c in zip(labels, codes) if c < 0 and not pd.isna(x)})
            if unseen:
                raise ValueError(
                    f"newdata: the factor {t!r} has level(s) {unseen} that the fitting data do not "
                    f"have (levels: {[str(v) for v in var.levels]}); its effect cannot be estimated"
                )
            out[t] = pd.Categorical.from_codes(codes, categories=var.levels)
        return out

    def _check_newdata(self, newdata: Any) -> None:
        if not isinstance(newdata, pd.DataFrame):
            raise TypeError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")

    def fixed_matrix(self, newdata: pd.DataFrame) -> np.ndarray:
        """The fixed-effects model matrix of ``newdata``, coded as the fit's ``X``.

        ``scale`` and ``center`` use the fitting data's centres and spreads, and
        factors the fit's levels; a row with a missing value gets NaN.

        Raises
        ------
        ValueError
            If ``newdata`` lacks a column the model uses, or a factor has a
            level the fitting data did not have.
        """
        self._check_newdata(newdata)
        values = self._values(newdata, _fixed_variables(self.formula))
        return _model_matrix(self.fixed_coding, self.variables, values, len(newdata))

    def random_parts(self, newdata: pd.DataFrame) -> list[RandomPart]:
        """Each random-effects term's model matrix and grouping levels on ``newdata``."""
        self._check_newdata(newdata)
        values = self._values(newdata, _expr_variables(self.formula))
        groups = {t: self._evaluate_new(newdata, t) for t in _group_variables(self.formula)}
        parts = []
        for bar, coding, term in zip(self.formula.bars, self.bar_codings, self.terms):
            labels = _group_labels([groups[v] for v in bar.group])
            codes = term.levels.get_indexer(labels) if len(bar.group) == 1 else \
                pd.Index(term.levels.astype(str)).get_indexer(labels.astype(str))
            parts.append(RandomPart(
                name=term.name, cnames=coding.names,
                values=_model_matrix(coding, self.variables, values, len(newdata)),
                labels=labels, codes=codes,
            ))
        return parts

    def with_response(self, y: Any) -> ModelFrame:
        """The same design with another response (a simulated one, for a refit)."""
        y = np.asarray(y, dtype=float)
        if y.shape != self.y.shape or not np.all(np.isfinite(y)):
            raise ValueError(f"y must hold {self.n} finite values, got shape {y.shape}")
        return replace(self, y=y)

    def subset(self, mask: Any) -> ModelFrame:
        """The same model on some of its rows (a leave-one-group-out refit, Chapter 12).

        ``y``, ``X``, ``weights`` and ``index`` keep the rows where ``mask`` is
        true; each random-effects term keeps those rows of ``Z`` and drops the
        grouping levels no kept row has (``droplevels``, as lme4 on a subset).
        The coding is the frame's own: the same columns of ``X`` (factor levels,
        contrasts, and ``scale``/``center`` with the full data's centres and
        spreads), so ``X`` may lose full column rank if the rows left out were a
        level's only rows (the fit then says so).  The formula is not parsed again.

        Parameters
        ----------
        mask : array_like of bool, shape (n,)
            Which of the frame's rows to keep.

        Returns
        -------
        ModelFrame

        Raises
        ------
        ValueError
            If ``mask`` does not hold one boolean per row, or keeps no row.
        """
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (self.n,):
            raise ValueError(f"mask must hold {self.n} booleans (one per row of the frame), "
                             f"got dtype {mask.dtype} and shape {mask.shape}")
        if not mask.any():
            raise ValueError("mask keeps no row")
        terms = []
        for term in self.terms:
            s = term.n_cols  # ReMat.from_factor stores s entries per row, zeros included
            codes = term.Z.indices[term.Z.indptr[:-1]][mask] // s
            values = term.Z.data.reshape(-1, s)[mask]
            used, new_codes = np.unique(codes, return_inverse=True)
            terms.append(ReMat.from_factor(term.name, new_codes, term.levels[used], values, term.cnames))
        weights = None if self.weights is None else self.weights[mask]
        return replace(self, y=self.y[mask], X=self.X[mask], terms=tuple(terms), weights=weights,
                       index=self.index[mask])


def _bar_coding(bar: Bar, variables: dict[str, _Variable]) -> _Coding:
    group = ":".join(bar.group)
    if bar.double:
        factors = [v for t in bar.expr.terms for v in t if variables[v].is_factor]
        if factors:
            f = factors[0]
            raise ValueError(
                f"{bar.text}: lme4's || does not make the effects of the levels of the factor {f!r} "
                "uncorrelated (it splits the formula's terms, not a factor's columns, so the level "
                f"effects keep a full covariance matrix). For independent level effects with one "
                f"common variance write (1 | {group}) + (1 | {group}:{f}); for a full covariance "
                f"matrix write ({f} | {group})"
            )
    return _coding(bar.expr, variables, f"random-effects term {bar.text}")
