"""The reference document: a `.docx` whose styles, page size and margins every DOCX draft
is built on (as pandoc's `--reference-doc` does).

The default is built in code from python-docx's own template, so the project ships no
binary: A4, 2 cm margins, Arial, headings kept with the text after them. A trust sets its
own in `trust.yaml` (`house_style: house_style.docx`, relative to the configuration
directory); start from this one and restyle it in Word:

    python -m trustcycle.drafts.house_style house_style.docx

Only the reference's styles, page setup and sections are used: its body is replaced by
the report, its header and footer by the trust's name, the title and "Page X of Y".
"""

from __future__ import annotations

import io
import sys
from functools import lru_cache
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.shared import Cm, Pt, RGBColor, Twips

# A4 portrait (ISO 216: 210 x 297 mm, as Word stores it in twips) and 2 cm margins.
A4_WIDTH, A4_HEIGHT = Twips(11906), Twips(16838)
MARGIN_SIDE, MARGIN_TOP = Twips(1134), Twips(1134)
FONT = "Arial"
TEXT = RGBColor(0x0B, 0x0C, 0x0C)


class HouseStyleError(ValueError):
    """A reference document that cannot be used."""


def _style_fonts(doc: DocxDocument) -> None:
    sizes = {"Normal": 11, "Title": 18, "Heading 1": 13, "Heading 2": 11, "Heading 3": 11,
             "Header": 9, "Footer": 9, "Caption": 10, "List Bullet": 11, "List Number": 11}
    for name, size in sizes.items():
        style = doc.styles[name]
        font = style.font  # type: ignore[attr-defined]
        font.name, font.size, font.color.rgb = FONT, Pt(size), TEXT
        font.bold = name.startswith(("Title", "Heading")) or name == "Caption"
        font.italic = False
        fmt = style.paragraph_format  # type: ignore[attr-defined]
        if name.startswith(("Heading", "Title", "Caption")):
            fmt.keep_with_next = True
            fmt.space_before, fmt.space_after = Pt(12 if name != "Caption" else 6), Pt(4)
        elif name in ("Normal", "List Bullet", "List Number"):
            fmt.space_after, fmt.line_spacing = Pt(6), 1.15
    # Title in Word's default has a coloured rule under it; a council report has none.
    title = doc.styles["Title"].element
    for border in title.xpath("./w:pPr/w:pBdr"):
        border.getparent().remove(border)
    if "Table Text" not in [s.name for s in doc.styles]:
        table_text = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        table_text.base_style = doc.styles["Normal"]
        table_text.font.size = Pt(9)  # type: ignore[attr-defined]
        table_text.paragraph_format.space_after = Pt(0)  # type: ignore[attr-defined]
        table_text.paragraph_format.line_spacing = 1.0  # type: ignore[attr-defined]


def _drop_thumbnail(doc: DocxDocument) -> None:
    # python-docx's template carries a picture of a blank page as its thumbnail.
    rels = doc.part.package.rels
    for key, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del rels[key]


def build_reference() -> DocxDocument:
    """The default reference document, as a python-docx `Document`."""
    doc = Document()
    _drop_thumbnail(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
    section.left_margin = section.right_margin = MARGIN_SIDE
    section.top_margin = section.bottom_margin = MARGIN_TOP
    section.header_distance = section.footer_distance = Cm(1.0)
    _style_fonts(doc)
    props = doc.core_properties
    props.author, props.comments, props.last_modified_by = "", "", ""
    return doc


@lru_cache(maxsize=1)
def default_reference() -> bytes:
    """The default reference document's bytes (built once per process)."""
    out = io.BytesIO()
    build_reference().save(out)
    return out.getvalue()


def open_reference(path: Path | None) -> DocxDocument:
    """A fresh `Document` on the trust's reference document, or on the default one."""
    if path is None:
        return Document(io.BytesIO(default_reference()))
    try:
        doc = Document(str(path))
    except Exception as exc:  # python-docx raises zipfile, KeyError, lxml errors alike
        raise HouseStyleError(f"{path}: not a Word document usable as the house style "
                              f"({type(exc).__name__})") from None
    _drop_thumbnail(doc)
    return doc


def main(argv: list[str] | None = None) -> int:
    """Write the default reference document to the path given, to restyle in Word."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].endswith(".docx"):
        print("usage: python -m trustcycle.drafts.house_style OUT.docx", file=sys.stderr)
        return 2
    Path(args[0]).write_bytes(default_reference())
    print(f"wrote {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
