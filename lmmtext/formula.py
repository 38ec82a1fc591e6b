"""lme4's model formulae, read as R reads them (Chapters 7-9).

A formula ``response ~ right-hand side`` is parsed by a small recursive-descent
parser with R's operators and precedence (``^`` above unary ``-`` above ``:``
above ``%in%`` above ``*`` and ``/`` above ``+`` and ``-``; a bar ``|`` or
``||`` only inside parentheses).  The right-hand side is then expanded by the
rules of Wilkinson and Rogers (1973) as R's ``terms.formula`` applies them:

* ``a + b`` joins the terms of both sides, ``a - b`` removes ``b``'s terms
  (``- 1`` and ``+ 0`` remove the intercept);
* ``a:b`` is the interaction of every term of ``a`` with every term of ``b``;
* ``a * b`` is ``a + b + a:b``; ``a / b`` is ``a + b %in% a``, the terms of
  ``b`` each joined with all variables of ``a``; ``(a + b + c)^2`` is every
  interaction up to order 2.

A *variable* is anything else: a column name (or a name in backticks), or a
call such as ``log(Reaction)``, ``I(Days^2)``, ``factor(Days)`` or ``sq(x)``,
whose text is kept verbatim (without white space) and evaluated later by
:mod:`lmmtext.modelframe`.  A *term* is a tuple of variables; its variables
are kept in the order they first appear in the formula, and the terms are
ordered by degree (main effects, then two-way interactions, ...), stably, as R
orders them (``keep.order = FALSE``).  So the coefficients come in R's order.

A bar term ``(expr | g)`` holds a sub-formula ``expr`` (with its own implicit
intercept) and a grouping expression ``g`` (``g1:g2``, or ``g1/g2`` for
``g1`` and ``g1:g2``).  ``(expr || g)`` is lme4's uncorrelated shorthand:
``(1 | g) + (0 + x | g) + ...``, one bar per term of ``expr``; whether that is
allowed (it is not for a factor, see :func:`lmmtext.modelframe.ModelFrame`)
is decided once the variables are evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Bar", "Formula", "Terms", "parse_formula"]

Term = tuple[str, ...]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?)|(?P<name>`[^`]+`|[A-Za-z._][A-Za-z0-9._]*)"
    r"|(?P<op>\|\||%in%|[~+\-*/:^|()]))"
)


@dataclass(frozen=True)
class Terms:
    """An expanded right-hand side: the intercept and the terms, in R's order."""

    intercept: bool
    terms: tuple[Term, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        """The distinct variables of all terms, in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            seen.update(dict.fromkeys(term))
        return tuple(seen)


@dataclass(frozen=True)
class Bar:
    """One random-effects term ``(expr | group)`` after expansion.

    ``expr`` is the model of the term's coefficients; ``group`` the grouping
    factor as a tuple of variables (``("g1", "g2")`` for ``g1:g2``);
    ``text`` the bar as the user wrote it (for messages); ``double`` whether
    it came from a ``||``.
    """

    expr: Terms
    group: Term
    text: str
    double: bool = False


@dataclass(frozen=True)
class Formula:
    """A parsed lme4 formula: response, fixed part and bar terms."""

    text: str
    response: str
    fixed: Terms
    bars: tuple[Bar, ...]


# -- the parser ----------------------------------------------------------------------------
class _Parser:
    """Recursive descent over R's formula grammar; nodes are nested tuples."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.pos = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ValueError(f"unexpected character {text[pos:].strip()[0]!r} in formula {text!r}")
            kind = m.lastgroup
            value = m.group(kind)
            pos = m.end()
            if kind == "name" and not value.startswith("`") and text[pos:pos + 1] == "(":
                end = _matching_paren(text, pos)
                value += re.sub(r"\s+", "", text[pos:end + 1])
                pos = end + 1
                kind = "call"
            tokens.append((kind, value))
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (op is not None and tok != ("op", op)):
            want = f"{op!r}" if op else "a term"
            raise ValueError(f"formula {self.text!r} ends early or is malformed: expected {want}")
        self.pos += 1
        return tok

    def at(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "op" and tok[1] in ops

    def expression(self, bars: bool = False) -> tuple:
        node = self.sum()
        if bars and self.at("|", "||"):
            op = self.take()[1]
            node = ("bar", op, node, self.sum())
        return node

    def sum(self) -> tuple:
        node = self.product() if not self.at("-") else ("neg", self.unary_minus())
        while self.at("+", "-"):
            op = self.take()[1]
            node = (op, node, self.product())
        return node

    def unary_minus(self) -> tuple:
        self.take("-")
        return self.product()

    def product(self) -> tuple:
        node = self.nested()
        while self.at("*", "/"):
            op = self.take()[1]
            node = (op, node, self.nested())
        return node

    def nested(self) -> tuple:
        node = self.interaction()
        while self.at("%in%"):
            self.take()
            node = ("%in%", node, self.interaction())
        return node

    def interaction(self) -> tuple:
        node = self.power()
        while self.at(":"):
            self.take()
            node = (":", node, self.power())
        return node

    def power(self) -> tuple:
        node = self.primary()
        if self.at("^"):
            self.take()
            kind, value = self.take()
            if kind != "num" or not value.isdigit() or int(value) < 1:
                raise ValueError(f"the power in {self.text!r} must be a positive integer, got {value!r}")
            node = ("^", node, int(value))
        return node

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "op" and value == "(":
            inner = self.expression(bars=True)
            self.take(")")
            return ("paren", inner)
        if kind == "num":
            if value not in ("0", "1"):
                raise ValueError(
                    f"the number {value} in formula {self.text!r} is not a term; only 0 and 1 "
                    "(no intercept, intercept) are, and a constant in an expression needs I(), "
                    "as in R"
                )
            return ("num", int(value))
        if kind in ("name", "call"):
            return ("var", value)
        raise ValueError(f"unexpected {value!r} in formula {self.text!r}")


def _matching_paren(text: str, open_pos: int) -> int:
    depth = 0
    quote = None
    for pos in range(open_pos, len(text)):
        ch = text[pos]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return pos
    raise ValueError(f"unbalanced parentheses in formula {text!r}")


# -- term algebra --------------------------------------------------------------------------
@dataclass
class _Value:
    """An expression's value: terms in order (``()`` is the intercept), removals, ``+ 0``."""

    terms: list[Term]
    removed: set[Term]
    zero: bool = False
    bars: list[tuple] | None = None


def _join(a: Term, b: Term) -> Term:
    return a + tuple(v for v in b if v not in a)


def _unique(terms: list[Term]) -> list[Term]:
    out: dict[frozenset, Term] = {}
    for t in terms:
        out.setdefault(frozenset(t), t)
    return list(out.values())


def _interact(a: list[Term], b: list[Term]) -> list[Term]:
    return _unique([_join(ta, tb) for tb in b for ta in a])


class _Expander:
    def __init__(self, text: str, allow_bars: bool) -> None:
        self.text = text
        self.allow_bars = allow_bars
        self.order: dict[str, int] = {}

    def value(self, node: tuple, top: bool = False) -> _Value:
        kind = node[0]
        if kind == "var":
            self.order.setdefault(node[1], len(self.order))
            return _Value([(node[1],)], set())
        if kind == "num":
            return _Value([()], set()) if node[1] == 1 else _Value([], set(), zero=True)
        if kind == "paren":
            inner = node[1]
            if inner[0] == "bar":
                if not (self.allow_bars and top):
                    raise ValueError(
                        f"a random-effects term in {self.text!r} must be added to the formula on its "
                        "own, as in y ~ x + (1 | g); it cannot be part of an interaction or be removed"
                    )
                return _Value([], set(), bars=[inner])
            return self.value(inner)
        if kind == "bar":
            raise ValueError(f"a bar term must be in parentheses, as (1 | g), in {self.text!r}")
        if kind == "neg":
            operand = self.value(node[1])
            return _Value([], set(operand.terms) | ({()} if operand.zero else set()))
        if kind in ("+", "-"):
            left = self.value(node[1], top)
            right = self.value(node[2], top and kind == "+")
            if kind == "+":
                return _Value(_unique(left.terms + right.terms), left.removed | right.removed,
                              left.zero or right.zero, (left.bars or []) + (right.bars or []))
            removed = set(right.terms) | ({()} if right.zero else set())
            return _Value(left.terms, left.removed | removed, left.zero, left.bars)
        left, right = self.value(node[1]), (self.value(node[2]) if kind != "^" else None)
        if kind == ":":
            return _Value(_interact(left.terms, right.terms), set())
        if kind == "*":
            return _Value(_unique(left.terms + right.terms + _interact(left.terms, right.terms)), set())
        if kind in ("/", "%in%"):
            outer = left if kind == "/" else right
            inner = right if kind == "/" else left
            everything: Term = ()
            for t in outer.terms:
                everything = _join(everything, t)
            nested = _interact(inner.terms, [everything])
            return _Value(_unique((left.terms if kind == "/" else []) + nested), set())
        if kind == "^":
            result = left.terms
            for _ in range(node[2] - 1):
                result = _unique(result + _interact(result, left.terms))
            return _Value(result, set())
        raise AssertionError(kind)  # pragma: no cover - the parser makes no other nodes

    def terms(self, value: _Value, implicit_intercept: bool = True) -> Terms:
        intercept = (implicit_intercept or () in value.terms) and not value.zero
        intercept = intercept and () not in value.removed
        kept = [t for t in value.terms if t and frozenset(t) not in {frozenset(r) for r in value.removed}]
        kept = [tuple(sorted(t, key=self.order.__getitem__)) for t in kept]
        kept.sort(key=len)  # stable: R's order of degree, then of appearance
        return Terms(intercept=intercept, terms=tuple(kept))


def _rhs(text: str, node: tuple, allow_bars: bool) -> tuple[Terms, list[tuple]]:
    ex = _Expander(text, allow_bars)
    value = ex.value(node, top=True)
    return ex.terms(value), value.bars or []


def _bar(text: str, node: tuple) -> list[Bar]:
    _, op, lhs, rhs = node
    bar_text = f"({_unparse(lhs)} {op} {_unparse(rhs)})"
    expr, _ = _rhs(text, lhs, allow_bars=False)
    group_ex = _Expander(text, allow_bars=False)
    group_value = group_ex.value(rhs)
    if group_value.zero or () in group_value.terms or group_value.removed:
        raise ValueError(f"the grouping factor of {bar_text} must be a factor such as g, g1:g2 or g1/g2")
    groups = group_ex.terms(group_value).terms
    if len(groups) > 1 and rhs[0] in ("+", "-"):
        raise ValueError(
            f"the grouping factor of {bar_text} cannot be a sum; write one bar per factor, "
            "as (1 | g1) + (1 | g2)"
        )
    if not expr.intercept and not expr.terms:
        raise ValueError(f"the random-effects term {bar_text} has no coefficients")
    if op == "|":
        return [Bar(expr, g, bar_text) for g in groups]
    pieces = ([Terms(True, ())] if expr.intercept else []) + [Terms(False, (t,)) for t in expr.terms]
    return [Bar(piece, g, bar_text, double=True) for g in groups for piece in pieces]


def _unparse(node: tuple) -> str:
    kind = node[0]
    if kind == "var":
        return node[1]
    if kind == "num":
        return str(node[1])
    if kind == "paren":
        return f"({_unparse(node[1])})"
    if kind == "neg":
        return f"-{_unparse(node[1])}"
    if kind == "^":
        return f"{_unparse(node[1])}^{node[2]}"
    if kind == "bar":
        return f"{_unparse(node[2])} {node[1]} {_unparse(node[3])}"
    sep = ":" if kind == ":" else f" {kind} "
    return f"{_unparse(node[1])}{sep}{_unparse(node[2])}"


def parse_formula(formula: str) -> Formula:
    """Parse an lme4 formula into response, fixed terms and bar terms.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 * x2 + log(x3) + (1 + x1 | g) + (1 | g1/g2)"``.

    Returns
    -------
    Formula

    Raises
    ------
    ValueError
        If there is no ``~`` or no response, parentheses do not balance, a
        character is not part of R's formula language, a number other than 0
        or 1 stands as a term, a bar term is not added on its own, or a
        grouping factor is a sum.
    TypeError
        If ``formula`` is not a string.

    Examples
    --------
    >>> f = parse_formula("Reaction ~ Days + (Days | Subject)")
    >>> f.response, f.fixed.terms, f.bars[0].expr.terms, f.bars[0].group
    ('Reaction', (('Days',),), (('Days',),), ('Subject',))
    >>> parse_formula("y ~ a*b").fixed.terms
    (('a',), ('b',), ('a', 'b'))
    >>> [b.group for b in parse_formula("y ~ 1 + (1 | g1/g2)").bars]
    [('g1',), ('g1', 'g2')]
    >>> [(b.expr.intercept, b.expr.terms) for b in parse_formula("y ~ (x || g)").bars]
    [(True, ()), (False, (('x',),))]
    """
    if not isinstance(formula, str):
        raise TypeError(
            f"formula must be a string such as 'y ~ x + (1 | g)', got {type(formula).__name__}"
        )
    parser = _Parser(formula)
    tokens = parser.tokens
    tildes = [k for k, tok in enumerate(tokens) if tok == ("op", "~")]
    if len(tildes) != 1 or tildes[0] == 0 or tildes[0] == len(tokens) - 1:
        raise ValueError(f"formula must have the form 'response ~ terms', got {formula!r}")
    lhs = tokens[: tildes[0]]
    if len(lhs) != 1 or lhs[0][0] not in ("name", "call"):
        raise ValueError(
            f"the response of {formula!r} must be one variable or expression, such as y or log(y)"
        )
    parser.pos = tildes[0] + 1
    node = parser.expression()
    if parser.peek() is not None:
        raise ValueError(f"cannot read {formula!r} past {parser.peek()[1]!r}")
    fixed, bar_nodes = _rhs(formula, node, allow_bars=True)
    bars = tuple(b for bar_node in bar_nodes for b in _bar(formula, bar_node))
    return Formula(text=formula, response=lhs[0][1], fixed=fixed, bars=bars)
