"""lme4's model formulae: ``y ~ fixed + (expr | factor) + ...`` (Chapters 7-9).

Parsing is shared with the ``formulae`` package (Capretto 2022, used by Bambi):
it builds the fixed-effects matrix (treatment coding of categorical predictors,
as in R), the model matrix of each term's left-hand side, and expands grouping
expressions (``g1/g2`` into ``g1`` and ``g1:g2``).

One step is written by hand: splitting the right-hand side at the bars.
``formulae`` expands ``(1 + x | g)`` into two independent group-specific terms,
``1|g`` and ``x|g``, so its description of ``(1 + x | g)`` is *identical* to
that of ``(1 | g) + (0 + x | g)`` (``formulae.model_description`` returns equal
objects for the two).  In lme4 the first has a correlated 2 x 2 covariance
matrix and the second a diagonal one, so which coefficients share a bar must be
read from the formula text itself; that is all :func:`parse_formula` does.
(``formulae`` also stores group-specific design matrices column by column,
while the fitter needs each term's columns interleaved level by level.)
"""
from __future__ import annotations

from dataclasses import dataclass

import formulae

__all__ = ["ParsedFormula", "RandomTerm", "parse_formula", "expand_factor"]


@dataclass(frozen=True)
class RandomTerm:
    """One bar term ``(expr | factor)`` as written, e.g. ``expr="1 + Days"``, ``factor="Subject"``."""

    expr: str
    factor: str


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into response, fixed-effects right-hand side and bar terms."""

    response: str
    fixed: str
    random: tuple[RandomTerm, ...]


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` characters outside parentheses."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced parentheses in formula term {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise ValueError(f"unbalanced parentheses in formula {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _outer_parens(piece: str) -> str | None:
    """The inside of ``piece`` if one pair of parentheses encloses all of it."""
    if not (piece.startswith("(") and piece.endswith(")")):
        return None
    depth = 0
    for pos, ch in enumerate(piece):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and pos < len(piece) - 1:
            return None
    return piece[1:-1]


def parse_formula(formula: str) -> ParsedFormula:
    """Split an lme4 formula into response, fixed part and bar terms.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 + x1 | g) + (1 | g1/g2)"``.  Without bar terms
        there is nothing random and :func:`lmmtext.lmm.lmm` refuses the formula.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    ValueError
        If there is no ``~`` or no response, parentheses do not balance, a bar
        term has an empty side, or lme4's ``||`` is used.
    TypeError
        If ``formula`` is not a string.

    Examples
    --------
    >>> parse_formula("Reaction ~ Days + (Days | Subject)")  # doctest: +NORMALIZE_WHITESPACE
    ParsedFormula(response='Reaction', fixed='Days',
                  random=(RandomTerm(expr='Days', factor='Subject'),))
    >>> parse_formula("y ~ (1 | g1/g2)").fixed
    '1'
    """
    if not isinstance(formula, str):
        raise TypeError(
            f"formula must be a string such as 'y ~ x + (1 | g)', got {type(formula).__name__}"
        )
    sides = _split_top_level(formula, "~")
    if len(sides) != 2 or not sides[0] or not sides[1]:
        raise ValueError(f"formula must have the form 'response ~ terms', got {formula!r}")
    response, rhs = sides
    fixed, random = [], []
    for piece in _split_top_level(rhs, "+"):
        inner = _outer_parens(piece)
        if inner is not None and "|" in inner:
            if "||" in inner:
                raise ValueError(
                    f"the double bar in {piece!r} is not supported; write uncorrelated terms "
                    "separately, e.g. (1 | g) + (0 + x | g)"
                )
            bar = _split_top_level(inner, "|")
            if len(bar) != 2 or not bar[0] or not bar[1]:
                raise ValueError(f"random-effects term {piece!r} must look like (expr | factor)")
            random.append(RandomTerm(expr=bar[0], factor=bar[1]))
        elif piece:
            fixed.append(piece)
        else:
            raise ValueError(f"empty term in formula {formula!r}")
    return ParsedFormula(response=response, fixed=" + ".join(fixed) or "1", random=tuple(random))


def expand_factor(factor: str) -> list[list[str]]:
    """The grouping factors a bar's right-hand side stands for, as lists of variables.

    ``"g"`` gives ``[["g"]]``; ``"g1:g2"`` gives ``[["g1", "g2"]]``;
    ``"g1/g2"`` gives ``[["g1"], ["g1", "g2"]]`` (``g1 + g1:g2``), by ``formulae``.

    Examples
    --------
    >>> expand_factor("school/class")
    [['school'], ['school', 'class']]
    """
    try:
        desc = formulae.model_description(f"y ~ (1 | {factor})")
    except Exception as exc:  # formulae raises its own parse errors
        raise ValueError(f"cannot parse the grouping factor {factor!r}: {exc}") from exc
    return [[c.name for c in term.factor.components] for term in desc.group_terms]
