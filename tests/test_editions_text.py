"""Korean that reads as written, and labels in each edition's language: checks on the BUILT pages.

Three classes of defect, each with a pure checker (tested below on planted defects, no build)
and a test over the HTML that ``built_book`` builds:

- particles: a particle after a rendered number, symbol, citation or Latin word must agree with
  how the number or symbol is read in Korean ("식 (1.1)은": 1 is 일, which has a final
  consonant; "(1.2)는": 2 is 이, which has none; "R은": R is 알; ㄹ takes 로, not 으로).
  Equation numbers are assigned at build time, so only the built page can be checked.
- terms: the Korean edition uses the glossary's term for a concept, never a variant
  (``VARIANTS`` below mirrors ``book/ko/98_glossary.md``; a test keeps the two in step).
- labels: a Korean page shows no English label ("Proof.", "Theorem 2.1"), an English page no
  Korean one, no page doubles a label ("Theorem Theorem 2.1", "연습문제 연습 5.1"), and every
  reference to a numbered block carries its number.

How a symbol is read (the convention of the Korean edition): Latin letters by their Korean
names (R 알, L 엘, M 엠, N 엔; the other letters end in a vowel: X 엑스, k 케이, p 피), Greek
letters by theirs (all end in a vowel but ε 엡실론), a subscript after its letter (σ_a 시그마 에이),
a square last (σ² 시그마 제곱, σ_a² 시그마 에이 제곱).  Where a symbol has two common readings
(X' 프라임/전치, A^{-1} 역/인버스, ȳ_{i·} 닷/바) the check asks only that the edition be
consistent.
"""
from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
GLOSSARY = BOOK / "ko" / "98_glossary.md"
PAGES = {lang: sorted(p.stem for p in (BOOK / lang).glob("*.*") if p.suffix in {".ipynb", ".md"})
         for lang in ("ko", "en")}

# ---------------------------------------------------------------------------------------------
# Page text
# ---------------------------------------------------------------------------------------------
BLOCK_TAGS = r"p|div|li|ul|ol|dt|dd|dl|h[1-6]|td|th|tr|table|section|figure|figcaption|blockquote|br|details|summary"


def article_html(page: str) -> str:
    """The article of a built page, without scripts, code and header links."""
    match = re.search(r'<article class="bd-article">(.*?)</article>', page, re.S)
    article = match.group(1) if match else page
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    article = re.sub(r'<p class="lang-switch">.*?</p>', " ", article, flags=re.S)
    article = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", article, flags=re.S)
    # code cells, their outputs and inline code are not read as prose
    article = re.sub(r'<div class="cell_output.*?(?=<div class="cell|</section>|$)', "\n", article, flags=re.S)
    article = re.sub(r"<pre\b.*?</pre>", "\n", article, flags=re.S)
    article = re.sub(r"<code\b.*?</code>", " \u27e8code\u27e9 ", article, flags=re.S)
    return article


def visible_text(fragment: str) -> str:
    """Text as a reader sees it: inline tags vanish (so "(1.1)</a>은" joins), blocks break lines.

    Inline math keeps its TeX between ``\\(`` and ``\\)``; display math becomes its own line.
    """
    fragment = re.sub(r'<div class="math[^"]*"[^>]*>.*?</div>', "\n\u27e8display\u27e9\n", fragment, flags=re.S)
    fragment = re.sub(rf"</?(?:{BLOCK_TAGS})\b[^>]*>", "\n", fragment)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()


def page_text(page: str) -> str:
    return visible_text(article_html(page))


# ---------------------------------------------------------------------------------------------
# How things are read: the final sound of the last syllable
# ---------------------------------------------------------------------------------------------
V, C, L = "V", "C", "L"  # ends in a vowel; in a consonant other than ㄹ; in ㄹ


def final_class(syllable: str) -> str:
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 11172:
        raise ValueError(f"not a Hangul syllable: {syllable!r}")
    jong = code % 28
    return V if jong == 0 else (L if jong == 8 else C)


DIGITS = "영일이삼사오육칠팔구"
LETTERS = {  # Korean names of the Latin letters
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지", "h": "에이치",
    "i": "아이", "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔", "o": "오", "p": "피",
    "q": "큐", "r": "알", "s": "에스", "t": "티", "u": "유", "v": "브이", "w": "더블유", "x": "엑스",
    "y": "와이", "z": "지",
}
GREEK = {
    "alpha": "알파", "beta": "베타", "gamma": "감마", "delta": "델타", "epsilon": "엡실론",
    "varepsilon": "엡실론", "zeta": "제타", "eta": "에타", "theta": "세타", "vartheta": "세타",
    "iota": "요타", "kappa": "카파", "lambda": "람다", "mu": "뮤", "nu": "뉴", "xi": "크사이",
    "pi": "파이", "rho": "로", "varrho": "로", "sigma": "시그마", "tau": "타우", "upsilon": "입실론",
    "phi": "파이", "varphi": "파이", "chi": "카이", "psi": "프사이", "omega": "오메가",
    "ell": "엘", "infty": "무한대", "top": "전치", "ast": "스타",
}
# Words and abbreviations as Korean statisticians say them (abbreviations not listed are spelt out
# letter by letter when written in capitals; other words not listed are not checked).
WORDS = {
    "BLUP": "블럽", "EBLUP": "이블럽", "BLUPs": "블럽", "BLUE": "블루", "REML": "레믈", "ML": "엠엘",
    "ANOVA": "아노바", "lme4": "엘엠이포", "lmer": "엘머", "lmm": "엘엠엠", "nlme": "엔엘엠이",
    "lmmtext": "엘엠엠텍스트", "statsmodels": "스탯츠모델스", "MixedLM": "믹스트엘엠", "scipy": "사이파이",
    "SciPy": "사이파이", "numpy": "넘파이", "NumPy": "넘파이", "Python": "파이썬", "R": "알",
    "Dyestuff": "다이스터프", "Dyestuff2": "다이스터프투", "Penicillin": "페니실린", "Pastes": "페이스츠",
    "sleepstudy": "슬립스터디", "InstEval": "인스트이벨", "Efron": "에프런", "Morris": "모리스",
    "Stein": "스타인", "James": "제임스", "Henderson": "헨더슨", "Harville": "하빌", "Robinson": "로빈슨",
    "Searle": "설", "Bates": "베이츠", "Patterson": "패터슨", "Thompson": "톰슨", "Alvis": "앨비스",
    "Clemente": "클레멘테", "Cholesky": "촐레스키", "Wald": "왈드", "Satterthwaite": "새터스웨이트",
    "Kenward": "켄워드", "Roger": "로저", "GB": "기가바이트", "MB": "메가바이트",
}
DECORATIONS = {"hat": "햇", "widehat": "햇", "bar": "바", "overline": "바", "tilde": "틸드",
               "widetilde": "틸드", "check": "체크", "dot": "닷"}
WRAPPERS = {"mathbf", "boldsymbol", "bm", "mathcal", "mathrm", "mathit", "mathsf", "mathbb",
            "operatorname", "text", "textrm", "textit"}


def integer_reading(n: int) -> str:
    """Last syllable of a whole number read in Sino-Korean (12 십이, 20 이십, 2000 이천)."""
    if n == 0:
        return "영"
    digits = str(n)
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return DIGITS[int(digits[-1])]
    return {1: "십", 2: "백", 3: "천"}.get(zeros, "만" if zeros < 8 else ("억" if zeros < 12 else "조"))


def number_classes(token: str, reference: bool = False) -> set[str]:
    """Final sound of a number: ``reference`` numbers (1.10 of an equation) are read part by part."""
    token = token.replace(",", "")
    if token.endswith("%"):
        return {V}  # 퍼센트
    whole, _, fraction = token.partition(".")
    if not fraction:
        return {final_class(integer_reading(int(whole)))}
    if reference:
        return {final_class(integer_reading(int(token.split(".")[-1])))}
    return {final_class(DIGITS[int(fraction[-1])])}  # decimals digit by digit: 0.25 영 점 이오


def word_classes(word: str) -> set[str] | None:
    if word in WORDS:
        return {final_class(WORDS[word][-1])}
    if len(word) == 1 and word.lower() in LETTERS:
        return {final_class(LETTERS[word.lower()][-1])}
    if re.fullmatch(r"[A-Z]{2,6}", word):  # an abbreviation, spelt out
        return {final_class(LETTERS[word[-1].lower()][-1])}
    return None


def _strip_braces(s: str) -> str:
    s = s.strip()
    while s.startswith("{") and s.endswith("}") and _balanced(s[1:-1]):
        s = s[1:-1].strip()
    return s


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def script_classes(script: str, superscript: bool) -> set[str] | None:
    s = _strip_braces(script)
    if superscript:
        if s in {"2", "3"} or re.fullmatch(r"[A-Za-z]", s) and s not in {"T"}:
            return {C}  # 제곱, 세제곱, n제곱 / n승
        if s in {"T", r"\top", r"\prime", "*", r"\ast"}:
            return {V} if s != r"\prime" else None  # 전치, 스타
        return None  # -1 (역/인버스), 1/2, (k): more than one reading
    return tex_classes(s)


TAIL = re.compile(
    r"(?<![_^{}])(?P<deco>(?:\\[A-Za-z]+\s*)*)"
    r"(?P<base>\\[A-Za-z]+|[A-Za-z]|\d+(?:\.\d+)?|\{(?:[^{}]|\{[^{}]*\})*\})"
    r"(?P<prime>'*)"
    r"(?P<scripts>(?:\s*[_^]\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z0-9*]))*)$"
)


def tex_classes(tex: str) -> set[str] | None:
    """The possible final sounds of inline math as read aloud, or None if not decidable.

    Only the last symbol counts ("X\\beta" ends in 베타), and of its subscripts and superscripts
    the last one written (σ_a² 시그마 에이 제곱, χ²₁ 카이제곱 일).  An expression that ends in a
    bracket, a fraction (A/B is read "B 분의 A") or anything else without a settled reading gives
    None.
    """
    s = re.sub(r"\\(?:left|right|[,;:! ]|quad|qquad)", " ", tex).strip().rstrip(".,;").strip()
    s = re.sub(r"\\(?:text|mathrm|operatorname)\s*\{([A-Za-z][A-Za-z0-9]*)\}$", r"\1", s)
    if not s:
        return None
    if re.fullmatch(r"\d[\d,]*(?:\.\d+)?", s):
        return number_classes(s)
    if re.search(r"[)\]]\s*\^\s*\{?\s*2\s*\}?$", s):
        return {C}  # (...)² 제곱
    m = TAIL.search(s)
    if m is None:
        return None
    if re.search(r"/\s*$", s[:m.start()]):
        return None  # a quotient: read denominator first
    base, prime, scripts = m.group("base"), m.group("prime"), m.group("scripts")
    decos = re.findall(r"\\([A-Za-z]+)", m.group("deco"))
    if any(d not in DECORATIONS and d not in WRAPPERS for d in decos):
        # the tail starts inside a longer command sequence (\frac, \sum ...): read only the base
        decos = [d for d in decos if d in DECORATIONS or d in WRAPPERS]
    wrapped = any(d in {"text", "mathrm", "operatorname", "textrm"} for d in decos)
    if base.startswith("{") and not decos:
        return None  # the last argument of \frac or another command
    # the base
    if base.startswith("{"):
        inner = _strip_braces(base)
        if wrapped and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", inner):
            base_cls = word_classes(inner)
        else:
            base_cls = tex_classes(inner)
    elif base.startswith("\\"):
        name = base[1:]
        base_cls = {final_class(GREEK[name.lower()][-1])} if name.lower() in GREEK else None
    elif base[0].isdigit():
        base_cls = number_classes(base)
    else:
        base_cls = {final_class(LETTERS[base.lower()][-1])}
    # scripts: the last one written is read last
    written = re.findall(r"([_^])\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z0-9*])", scripts)
    if written and written[-1][0] == "^":
        last = script_classes(written[-1][1], superscript=True)
    elif prime:
        return None  # 프라임 or 전치
    elif written:
        sub = _strip_braces(written[-1][1])
        last = {C, V} if sub == "0" else script_classes(sub, superscript=False)  # 영 / 제로
        if sub in {r"\cdot", r"\bullet"} or sub.endswith(r"\cdot"):
            last = {C}  # 닷, 점
    else:
        last = base_cls
    if last is None:
        return None
    classes = set(last)
    for d in decos:  # a decoration may be read first or last (베타 햇 / 햇 베타)
        if d in DECORATIONS:
            classes.add(final_class(DECORATIONS[d][-1]))
    return classes


# ---------------------------------------------------------------------------------------------
# Particles
# ---------------------------------------------------------------------------------------------
# what each particle needs before it
NEEDS = {"은": {C, L}, "이": {C, L}, "을": {C, L}, "과": {C, L}, "으로": {C},
         "는": {V}, "가": {V}, "를": {V}, "와": {V}, "로": {V, L}}
PAIR = {"은": "는", "는": "은", "이": "가", "가": "이", "을": "를", "를": "을", "과": "와", "와": "과",
        "으로": "로", "로": "으로"}
AFTER = {"과": "는|의|도|만", "와": "는|의|도|만", "으로": "는|서|써|부터|의|도|만",
         "로": "는|서|써|부터|의|도|만", "이": "나"}
PARTICLE = re.compile(r"(?<=[^\s가-힣])(으로|은|는|이|가|을|를|과|와|로)")
LABEL_BEFORE_NUMBER = r"(?:식|정리|보조정리|명제|따름정리|정의|연습문제|연습|그림|표|절|장|부록)"


def _ends_particle(text: str, end: int, particle: str) -> bool:
    rest = text[end:end + 4]
    more = AFTER.get(particle)
    if not rest or not re.match(r"[가-힣]", rest):
        return True
    return bool(more and re.match(rf"(?:{more})(?![가-힣])", rest))


def read_unit(before: str) -> tuple[str, set[str] | None, str] | None:
    """What ends ``before`` and is read before a particle: (kind, classes, the unit's text)."""
    if before.endswith("\\)"):
        start = before.rfind("\\(")
        if start < 0:
            return None
        tex = before[start + 2:-2]
        return ("math", tex_classes(tex), tex.strip())
    if before.endswith("]"):
        start = before.rfind("[")
        cite = before[start + 1:-1] if start >= 0 else ""
        year = re.search(r"(\d{4})([a-z]?)\s*$", cite)
        if not year:
            return None
        cls = ({final_class(LETTERS[year.group(2)][-1])} if year.group(2)
               else number_classes(year.group(1)))
        return ("citation", cls, f"[{cite}]")
    m = re.search(r"\((\d+(?:\.\d+)+)\)$", before)
    if m:
        return ("number", number_classes(m.group(1), reference=True), m.group(0))
    m = re.search(rf"(?:(?P<label>{LABEL_BEFORE_NUMBER})\s*)?(?<![A-Za-z\d.,])(?P<num>\d[\d,]*(?:\.\d+)*%?)$", before)
    if m:
        num = m.group("num")
        reference = bool(m.group("label")) or num.count(".") > 1
        if num.count(".") > 1 and not reference:
            return None
        return ("number", number_classes(num, reference=reference), m.group(0))
    m = re.search(r"(?<![A-Za-z0-9\\])([A-Za-z][A-Za-z0-9]*)$", before)
    if m:
        return ("word", word_classes(m.group(1)), m.group(1))
    return None


def particle_findings(text: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Particles that disagree with the reading before them, and the undecidable ones.

    Returns ``(defects, undecided)``: a defect is (snippet, particle, the right particle); an
    undecided use is (symbol, particle) for a symbol with two readings (see ``consistency``).
    """
    defects, undecided = [], []
    for m in PARTICLE.finditer(text):
        particle = m.group(1)
        if not _ends_particle(text, m.end(), particle):
            continue
        unit = read_unit(text[max(0, m.start() - 400):m.start()])
        if unit is None:
            continue
        kind, classes, shown = unit
        if classes is None or len(classes) > 1:
            if kind == "math":
                undecided.append((shown, particle))
            continue
        (cls,) = classes
        if cls not in NEEDS[particle]:
            snippet = text[max(0, m.start() - 25):m.end() + 8].replace("\n", " ")
            defects.append((snippet, particle, PAIR[particle]))
    return defects, undecided


def particle_defects(text: str) -> list[tuple[str, str, str]]:
    return particle_findings(text)[0]


CONSONANT_SIDE = {"은", "이", "을", "과", "으로"}
VOWEL_SIDE = {"는", "가", "를", "와"}


def consistency(undecided: list[tuple[str, str]]) -> dict[str, tuple[list[str], list[str]]]:
    """Symbols of two readings followed by particles of both kinds (ȳ은 here, ȳ는 there)."""
    seen: dict[str, tuple[list[str], list[str]]] = {}
    for tex, particle in undecided:
        key = re.sub(r"\s+", "", tex)
        cons, vow = seen.setdefault(key, ([], []))
        if particle in CONSONANT_SIDE:
            cons.append(particle)
        elif particle in VOWEL_SIDE:
            vow.append(particle)
    return {k: v for k, v in seen.items() if v[0] and v[1]}


# ---------------------------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------------------------
# variant (as it appears in the glossary's words) -> (pattern in running text, the glossary's choice)
VARIANTS = {
    "치우침": (r"치우[침치친쳐칠]", "편향"),
    "편의": (r"(?<![가-힣])편의(?!상|성|점|시설|를 위해|를 위하여)", "편향"),
    "최대값": (r"최대값", "최댓값"),
    "최소값": (r"최소값", "최솟값"),
    "고유값": (r"고유값", "고윳값"),
    "조밀": (r"조밀", "밀집"),
    "닫힌 꼴": (r"닫힌\s*꼴", "닫힌 형태"),
    "REML 기준": (r"REML\s*기준(?!값)", "REML 기준값"),
    "수면 박탈": (r"수면\s*박탈", "수면 제한"),
    "양의 정부호": (r"양의\s*정부호", "양정치"),
    "참가자": (r"참가자", "피험자"),
    "집단내 상관계수": (r"집단\s*내\s*상관", "급내상관계수"),
}


def glossary_entries(markdown: str) -> dict[str, list[str]]:
    """The glossary's choice for each concept -> the other names it lists (not to be used in the text).

    An entry is one headword, the choice, optionally followed by more headword lines (other names
    that ``{term}`` links may still use), then the definition, whose leading parenthesis holds the
    English term and, after a semicolon, other Korean names: ``(intraclass correlation; 집단내 상관계수)``.
    """
    block = re.search(r"```\{glossary\}\n(.*?)\n```", markdown, re.S)
    entries: dict[str, list[str]] = {}
    heads: list[str] = []
    for line in (block.group(1) if block else "").splitlines():
        if not line.strip():
            heads = []
            continue
        if not line[0].isspace():
            heads.append(line.strip())
            continue
        if heads:
            alternatives = heads[1:]
            if line.strip().startswith("("):
                paren = _leading_parenthesis(line.strip())
                if ";" in paren:
                    alternatives += [a.strip() for a in re.split(r"[,·]", paren.split(";", 1)[1])
                                     if re.search(r"[가-힣]", a)]
            entries.setdefault(heads[0], [])
            entries[heads[0]].extend(a for a in alternatives if a not in entries[heads[0]])
            heads = []
    return entries


def _leading_parenthesis(s: str) -> str:
    depth = 0
    for i, ch in enumerate(s):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return s[1:i]
    return s[1:]


def term_defects(text: str, variants: dict = VARIANTS) -> list[tuple[str, str, str]]:
    """(snippet, variant, the glossary's term) for each variant in ``text``."""
    found = []
    for variant, (pattern, chosen) in variants.items():
        for m in re.finditer(pattern, text):
            snippet = text[max(0, m.start() - 20):m.end() + 12].replace("\n", " ")
            found.append((snippet, variant, chosen))
    return found


def without_glossary_alternatives(page: str) -> str:
    """A glossary page without its headwords and the parenthesis after each (where other names are listed)."""
    page = re.sub(r"<dt\b.*?</dt>", "", page, flags=re.S)
    return re.sub(r"(<dd>\s*<p>)\s*\((?:[^()]|\([^()]*\))*\)", r"\1", page)


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
EN_LABELS = ["Proof", "Theorem", "Lemma", "Proposition", "Corollary", "Definition", "Remark", "Example",
             "Exercise", "Solution", "Figure", "Fig.", "Table", "Section", "Equation", "Eq."]
KO_LABELS = ["증명", "정리", "보조정리", "명제", "따름정리", "정의", "주의", "예제", "연습문제", "연습",
             "해답", "풀이", "그림", "표", "절", "식"]
_EN = "|".join(re.escape(w) for w in sorted(EN_LABELS, key=len, reverse=True))
_KO = "|".join(re.escape(w) for w in sorted(KO_LABELS, key=len, reverse=True))
_FIRST = "|".join(re.escape(w) for w in sorted(set(EN_LABELS + KO_LABELS) - {"Solution", "해답", "풀이"},
                                                 key=len, reverse=True))
# a label written twice on one line ("Theorem Theorem 2.1"); "해답 연습문제 1.1" is a solution's title
DOUBLED = re.compile(rf"(?<![A-Za-z가-힣])(?P<a>{_FIRST})[ \t]+(?P<b>{_EN}|{_KO})[ \t]*\(?\d", re.I)
NUMBERED_BLOCK = re.compile(r'<div class="[^"]*admonition[^"]*" id="([^"]+)">\s*'
                            r'<p class="admonition-title"><span class="caption-number">')
REFERENCE = re.compile(r'<a class="reference internal"[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S)
STRUCTURE = re.compile(r'<(h[1-6])\b[^>]*>(.*?)</\1>|<p class="admonition-title"[^>]*>(.*?)</p>'
                       r'|<(figcaption|caption)\b[^>]*>(.*?)</\4>', re.S)


def numbered_ids(pages: list[str]) -> set[str]:
    """Ids of numbered blocks (theorems, exercises) and equations on the given pages."""
    ids = set()
    for page in pages:
        ids.update(NUMBERED_BLOCK.findall(page))
        ids.update(re.findall(r'id="(equation-[^"]+)"', page))
    return ids


def label_defects(page: str, lang: str, numbered: set[str]) -> list[str]:
    """Labels in the wrong language, doubled labels ("Theorem Theorem 2.1") or parentheses in titles
    ("Exercise 1.1 ((★))"), and references to a numbered block without a number."""
    found = []
    article = article_html(page)
    text = visible_text(article)
    wrong = rf"(?<![A-Za-z])(?:{_EN})(?![A-Za-z])" if lang == "ko" else rf"(?<![가-힣])(?:{_KO})(?![가-힣])"
    for m in STRUCTURE.finditer(article):
        shown = visible_text(next(g for g in m.groups()[1:] if g and not re.fullmatch(r"h[1-6]|figcaption|caption", g)))
        if re.search(r"\(\s*\(", re.sub(r"\\\(.*?\\\)", "", shown)):  # not "\((Y, \gamma)\)"
            found.append(f"doubled parenthesis: {shown!r}")
        if m.group(1):  # a heading: only a label followed by a number is a label
            if re.search(rf"{wrong}\s*\d", shown):
                found.append(f"heading in the other language: {shown!r}")
        elif re.search(wrong, shown):
            found.append(f"label in the other language: {shown!r}")
    for para in re.findall(r'<div class="proof[^"]*admonition[^"]*"[^>]*>\s*<p>(.{0,40})', article, re.S):
        head = visible_text(para)
        if lang == "ko" and head.startswith("Proof") or lang == "en" and head.startswith("증명"):
            found.append(f"proof heading in the other language: {head!r}")
    for href, inner in REFERENCE.findall(article):
        shown = visible_text(inner)
        target = href.rpartition("#")[2]
        if target in numbered and not re.search(r"\d", shown):
            found.append(f"reference without a number: {shown!r} -> #{target}")
        if target in numbered and re.search(rf"{wrong}\s*\(?\d", shown):
            found.append(f"reference in the other language: {shown!r}")
    for m in DOUBLED.finditer(text):
        found.append(f"doubled label: {text[max(0, m.start() - 15):m.end() + 6]!r}".replace("\\n", " "))
    return found


# ---------------------------------------------------------------------------------------------
# The checkers on planted defects (no build)
# ---------------------------------------------------------------------------------------------
def flagged(text: str) -> list[str]:
    return [f"{p}->{q}" for _, p, q in particle_defects(text)]


@pytest.mark.parametrize("text, expected", [
    ("식 (1.1)는 두 관점에서 같다.", ["는->은"]),
    ("식 (1.1)은 두 관점에서 같다.", []),
    ("식 (1.2)는 같다.", []),
    ("식 (1.2)은 같다.", ["은->는"]),
    ("식 (1.3)와 비교하라.", ["와->과"]),
    ("식 (3.5)을 쓴다.", ["을->를"]),
    ("식 (4.1)를 최대화한다. 식 (4.1)가 성립한다.", ["를->을", "가->이"]),
    ("식 (11.4)이 성립한다.", ["이->가"]),
    ("식 (4.10)를 보라.", ["를->을"]),                    # 10 is 십
    ("식 (4.10)을 보라. 식 (2.20)과 같다.", []),
    ("식 (1.7)으로 쓴다.", ["으로->로"]),                 # 칠: ㄹ takes 로
    ("식 (1.7)로 쓴다. 식 (1.3)으로 쓴다. 식 (1.2)로 쓴다.", []),
    ("식 (1.6)로 쓴다.", ["로->으로"]),
    ("정리 2.1에 따라, 연습문제 5.1을 보라. 그림 1.10은 아니다.", []),
    ("연습문제 5.1를 보라.", ["를->을"]),
    (r"\(R\)는 양정치이고 \(R\)가 크다.", ["는->은", "가->이"]),
    (r"\(R\)은 양정치이고 \(R\)이 크다. \(X\)는 설계행렬이다.", []),
    (r"\(\sigma^2\)를 추정한다.", ["를->을"]),           # 시그마 제곱
    (r"\(\sigma_a^2\)은 \(\sigma_a\)는 \(\theta\)를 \(n\)은 \(k\)는 \(p\)가", []),
    (r"\(n_i\)은 작다.", ["은->는"]),                     # 엔 아이
    (r"\(D\)와 \(R\)는", ["는->은"]),
    (r"\(\ell_R\)은 \(\hat\sigma^2\)을 \(Z_l\)로", []),
    (r"\(\epsilon\)는", ["는->은"]),
    (r"\(Y = X\beta + Z\gamma + e\)가 모형이다.", []),
    (r"\(E(a'Y - w)^2\)이 \(\chi^2_1\)로 \(\chi^2_2\)를 \(\theta_k^2\)을", []),
    (r"\(E(a'Y - w)^2\)가 \(\chi^2_1\)으로", ["가->이", "으로->로"]),
    (r"\(SSE/\sigma^2\)로 \(\dfrac{MSA}{MSE}\)는 \((X'X)^{-1}\)를", []),  # not decidable
    ("[Bates et al., 2015]과 비교하라.", ["과->와"]),
    ("[Bates, 2010]를 보라.", ["를->을"]),
    ("[Searle et al., 1992]를 보라. [Robinson, 1991]을 보라.", []),
    ("BLUP은 ML과 REML로 R은 lme4와 BLUE는 GLS를", []),
    ("BLUP는 ML와", ["는->은", "와->과"]),
    ("모의 자료 2,000벌, 3가지 경우, 2개 집단, 0.42다, 1이다, 3이고, 12.4와 16과", []),
    ("2,000은 크다. 100를 넘는다. 0.25는 작다.", ["를->을"]),
    ("(연습문제 4.2)와 (1.1)과의 차이, (1.2)와는 다르다, (1.3)과는 다르다", []),
])
def test_particle_checker_on_planted_defects(text, expected):
    assert flagged(text) == expected


def test_particle_checker_leaves_two_reading_symbols_to_the_consistency_check():
    text = r"\(\bar y_{i\cdot}\)은 평균이다. 또 \(\bar y_{i\cdot}\)는 평균이다. \(X'\)는 전치다. \(\hat\beta\)는 추정값이다."
    defects, undecided = particle_findings(text)
    assert defects == []
    assert consistency(undecided) == {r"\bary_{i\cdot}": (["은"], ["는"])}
    assert consistency(particle_findings(r"\(\bar y_{i\cdot}\)는 \(\bar y_{i\cdot}\)가")[1]) == {}


def test_readings():
    assert [integer_reading(n) for n in (1, 2, 3, 10, 12, 20, 100, 2000, 2015, 10000, 0)] == \
        ["일", "이", "삼", "십", "이", "십", "백", "천", "오", "만", "영"]
    assert tex_classes("R") == {L} and tex_classes("X") == {V} and tex_classes("n") == {C}
    assert tex_classes(r"\sigma^2") == {C} and tex_classes(r"\sigma_a") == {V}
    assert tex_classes(r"\hat\beta") == {V, C}  # 베타 햇: two readings
    assert tex_classes(r"A^{-1}") is None and tex_classes(r"(X'X)^{-1}X'") is None


def test_html_to_text_joins_inline_tags_and_keeps_math():
    page = ('<article class="bd-article"><p>식 <a class="reference internal" href="#equation-x">(1.1)</a>는 '
            '<span class="math notranslate nohighlight">\\(R\\)</span>가 <code class="docutils">lmm</code>은</p>'
            '<div class="math notranslate nohighlight">\\[ y \\]</div><p>을 얻는다.</p></article>')
    text = page_text(page)
    assert "(1.1)는" in text and "\\(R\\)가" in text and "lmm" not in text
    assert flagged(text) == ["는->은", "가->이"]  # "을 얻는다" after display math is not read


def test_term_checker_on_planted_defects():
    bad = "추정량이 아래로 치우친다. 편의(bias)가 있다. 최대값과 최소값, 고유값, 조밀한 행렬, 닫힌 꼴, REML 기준을"
    found = [v for _, v, _ in term_defects(bad)]
    assert found == ["치우침", "편의", "최대값", "최소값", "고유값", "조밀", "닫힌 꼴", "REML 기준"]
    good = ("추정량은 아래로 편향된다. 절편의 분산, 편의상 이렇게 쓴다. 최댓값과 최솟값, 고윳값, 밀집행렬, "
            "닫힌 형태, REML 기준값, 수면 제한, 양정치")
    assert term_defects(good) == []


def test_glossary_parser():
    md = ("# 용어집\n\n```{glossary}\n편향\n  (bias; 편의) 추정량의 기댓값과 참값의 차이.\n\n"
          "급내상관계수\n집단내 상관계수\n  (intraclass correlation (ICC); 집단내 상관계수, 급내 상관) 상관.\n\n"
          "최량선형불편예측량(BLUP)\n  (best linear unbiased predictor (BLUP)) 예측량.\n\n"
          "축소\n  (shrinkage) 끌어당김.\n```\n")
    entries = glossary_entries(md)
    assert entries == {"편향": ["편의"], "급내상관계수": ["집단내 상관계수", "급내 상관"],
                       "최량선형불편예측량(BLUP)": [], "축소": []}


def test_glossary_mirror_check_on_planted_drift():
    md = ("사이시옷: 최댓값.\n\n```{glossary}\n편향\n  (bias) 차이.\n\n"
          "급내상관계수\n  (intraclass correlation; 집단내 상관계수) 상관.\n```\n")
    table = {"치우침": (r"치우[침치친쳐칠]", "편향"), "최대값": (r"최대값", "최댓값"),
             "집단내 상관계수": (r"집단\s*내\s*상관", "급내상관계수")}
    assert glossary_mismatches(md, table) == []
    drift = glossary_mismatches(md.replace("편향", "치우침"), table)  # the glossary chose the variant
    assert any("'편향'" in p for p in drift) and any("headword" in p for p in drift)
    drift = glossary_mismatches(md.replace("집단내 상관계수", "급내 상관"), table)  # a new other name
    assert drift == ["the glossary lists '급내 상관' under '급내상관계수': add '급내 상관' -> '급내상관계수' to VARIANTS"]


def test_label_checker_on_planted_defects():
    numbered = {"ko-thm-a", "ko-ex-a", "en-ex-a", "equation-ko-eq-a"}
    ko = ('<article class="bd-article">'
          '<div class="proof theorem admonition" id="ko-thm-a">\n<p class="admonition-title">'
          '<span class="caption-number">Theorem 2.1 </span></p></div>'
          '<div class="proof admonition" id="proof">\n<p>Proof. 자명하다.</p></div>'
          '<p>정리 <a class="reference internal" href="#ko-thm-a">정리 2.1</a>에 따라 '
          '(연습문제 <a class="reference internal" href="#ko-ex-a"><span class="std">연습 5.1</span></a>), '
          '닫힌 형태(<a class="reference internal" href="#ko-ex-a"><span class="std">연습문제</span></a>).</p>'
          '<div class="exercise admonition" id="ko-ex-a">\n<p class="admonition-title">'
          '<span class="caption-number">연습문제 5.1 </span> ((★))</p></div>'
          '<h2>3.2. <span class="math">\\((Y, \\gamma)\\)</span>의 결합분포</h2>'
          '</article>')
    found = label_defects(ko, "ko", numbered)
    assert any("other language" in f and "Theorem 2.1" in f for f in found)
    assert any(f.startswith("proof heading") for f in found)
    assert any("정리 정리 2.1" in f for f in found)
    assert any("연습문제 연습 5.1" in f for f in found)
    assert any(f.startswith("reference without a number") for f in found)
    assert [f for f in found if f.startswith("doubled parenthesis")] == ["doubled parenthesis: '연습문제 5.1 ((★))'"]
    en = ('<article class="bd-article"><p>By Theorem <a class="reference internal" href="#x">Theorem 2.1</a>, '
          '(<a class="reference internal" href="#en-ex-a">exercise</a>), '
          '<a class="reference internal" href="#en-ex-a">연습문제 5.1</a>.</p></article>')
    found = label_defects(en, "en", numbered)
    assert len(found) == 3 and any("Theorem Theorem 2.1" in f for f in found)
    clean_ko = ('<article class="bd-article"><div class="proof admonition" id="proof">\n<p>증명. 자명하다.</p></div>'
                '<p><a class="reference internal" href="#ko-thm-a">정리 2.1</a>에 따라 '
                '(<a class="reference internal" href="#ko-ex-a">연습문제 5.1</a>), 식 '
                '<a class="reference internal" href="#equation-ko-eq-a">(1.1)</a>은 '
                '<a class="reference internal" href="01_x.html">1장</a>에서.</p></article>')
    assert label_defects(clean_ko, "ko", numbered) == []


# ---------------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------------
def built(html_root: Path, lang: str, name: str) -> str:
    return (html_root / "book" / lang / f"{name}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def korean_texts(built_book) -> dict[str, str]:
    return {name: page_text(built(built_book, "ko", name)) for name in PAGES["ko"]}


@pytest.mark.parametrize("name", PAGES["ko"])
def test_particles_agree_with_the_rendered_numbers_and_symbols(korean_texts, name):
    defects = particle_defects(korean_texts[name])
    assert not defects, f"ko/{name}: {len(defects)} particles disagree with the reading before them:\n" + \
        "\n".join(f"  {snippet!r}: {p} -> {q}" for snippet, p, q in defects)


def test_symbols_with_two_readings_take_one_kind_of_particle_across_the_edition(korean_texts):
    undecided = [u for text in korean_texts.values() for u in particle_findings(text)[1]]
    mixed = consistency(undecided)
    assert not mixed, "symbols read both ways:\n" + "\n".join(
        f"  {tex}: {' '.join(c)} | {' '.join(v)}" for tex, (c, v) in mixed.items())


def glossary_mismatches(markdown: str, variants: dict = VARIANTS) -> list[str]:
    """Where ``variants`` and the glossary make different choices.

    Each choice in the table is a word of the glossary (a headword, or for spelling, in its text),
    no variant is the glossary's choice, and every other name the glossary lists for a concept is
    in the table, mapped to that concept's headword.
    """
    entries = glossary_entries(markdown)
    problems = []
    for variant, (pattern, chosen) in variants.items():
        if chosen not in markdown:
            problems.append(f"{chosen!r} (chosen over {variant!r}) is not in the glossary")
        if any(re.search(pattern, h) for h in entries):
            problems.append(f"{variant!r} is (in) a glossary headword, not a variant")
        if not re.search(pattern, variant):
            problems.append(f"the pattern for {variant!r} does not match it")
    for head, others in entries.items():
        for other in others:
            if variants.get(other, (None, None))[1] != head:
                problems.append(f"the glossary lists {other!r} under {head!r}: add {other!r} -> {head!r} to VARIANTS")
    return problems


def test_the_variant_table_mirrors_the_glossary():
    """VARIANTS and book/ko/98_glossary.md make the same choices."""
    problems = glossary_mismatches(GLOSSARY.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", PAGES["ko"])
def test_the_korean_text_uses_the_glossary_terms(built_book, name):
    page = built(built_book, "ko", name)
    if name == "98_glossary":
        page = without_glossary_alternatives(page)
    defects = term_defects(page_text(page))
    assert not defects, f"ko/{name}: {len(defects)} variants the glossary does not choose:\n" + \
        "\n".join(f"  {snippet!r}: {v} -> {c}" for snippet, v, c in defects)


@pytest.fixture(scope="module")
def numbered(built_book) -> set[str]:
    return numbered_ids([built(built_book, lang, name) for lang in PAGES for name in PAGES[lang]])


@pytest.mark.parametrize("page", [f"{lang}/{name}" for lang in PAGES for name in PAGES[lang]])
def test_labels_are_in_the_page_language_once_and_with_their_number(built_book, numbered, page):
    lang, name = page.split("/")
    defects = label_defects(built(built_book, lang, name), lang, numbered)
    assert not defects, f"{page}:\n" + "\n".join(f"  {d}" for d in defects)


def test_korean_pages_show_korean_labels(built_book):
    """The fix itself: 증명, 연습문제 N.M, and its solution headed in Korean."""
    page = built(built_book, "ko", "02_random_effects")
    assert re.search(r'<div class="proof admonition"[^>]*>\s*<p>증명\. ', page)
    assert '<span class="caption-number">연습문제 2.1 </span>' in page
    assert re.search(r'<p class="admonition-title"><a class="reference internal" href="#ko-ex-[^"]+">'
                     r'연습문제 2\.1(?: \([^<]*\))?</a> 해답</p>', page)
    english = built(built_book, "en", "02_random_effects")
    assert re.search(r'<div class="proof admonition"[^>]*>\s*<p>Proof\. ', english)
    assert '<span class="caption-number">Exercise 2.1 </span>' in english
