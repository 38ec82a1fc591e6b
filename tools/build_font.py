"""Build lmmtext/fonts/LmmtextGothic.ttf from NanumGothic (SIL OFL 1.1).

NanumGothic has no U+2212 MINUS SIGN.  Matplotlib's mathtext draws every
minus in math mode (tick labels such as 10^{-1}, \\mathdefault) with U+2212
in the text font and does not fall back to another font, so it draws a box.
This script adds a minus glyph (the horizontal bar of Nanum's own plus sign)
and, as the OFL requires of a modified font, renames the family to
"Lmmtext Gothic" (NanumGothic is a Reserved Font Name).

Run once with ``python tools/build_font.py /usr/share/fonts/truetype/nanum/NanumGothic.ttf``
(Debian package fonts-nanum); the result is committed.
"""
import sys
from pathlib import Path

from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

FAMILY = "Lmmtext Gothic"
OUT = Path(__file__).resolve().parents[1] / "lmmtext" / "fonts" / "LmmtextGothic.ttf"


def main(source: str) -> None:
    font = TTFont(source)
    cmap = font.getBestCmap()
    plus = font["glyf"][cmap[ord("+")]]
    hyphen = font["glyf"][cmap[ord("-")]]
    thickness = hyphen.yMax - hyphen.yMin
    mid = (plus.yMin + plus.yMax) // 2
    pen = TTGlyphPen(None)
    y0, y1 = mid - thickness // 2, mid + thickness - thickness // 2
    for x, y in [(plus.xMin, y0), (plus.xMin, y1), (plus.xMax, y1), (plus.xMax, y0)]:
        (pen.lineTo if pen.points else pen.moveTo)((x, y))
    pen.closePath()
    font["glyf"]["minus"] = pen.glyph()
    font["hmtx"]["minus"] = font["hmtx"][cmap[ord("+")]]
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap[0x2212] = "minus"
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = FAMILY
        elif rec.nameID in (3, 6):
            rec.string = FAMILY.replace(" ", "") + "-Regular"
    font.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
