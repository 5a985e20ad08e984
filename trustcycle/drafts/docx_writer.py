"""A `Report` as a Word document on the trust's reference document (house style).

What a clerk checks when the paper is printed or converted to PDF: A4 and the house
margins (from the reference), the trust's name and the title in every page's header,
"Page X of Y" in the footer (PAGE and NUMPAGES fields), each table's columns sized to their
content (no "Wesse x Vale" split mid-word), header rows repeated on every page and kept
with the first row, rows never split across pages, and red/amber/green cells both shaded
and labelled (for colour-blind readers and greyscale printing).

The same `Report` gives the same bytes: core properties come from the report (its date
written), not the clock, and the zip is written with fixed timestamps and a fixed order.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from trustcycle.drafts.document import Report, Table
from trustcycle.drafts.house_style import open_reference

# Fill and text colour per rating: the label is always printed too.
RAG_FILL = {"red": ("D4351C", "FFFFFF"), "amber": ("F47738", "0B0C0C"),
            "green": ("00703C", "FFFFFF"), "missing": ("B1B4B6", "0B0C0C")}
RAG_HEADERS = ("rating", "rag")
HEADER_FILL = "F3F2F1"
# Width estimate for Arial at the table's 9 pt: about 0.55 em a character (bold ~10 % more),
# plus Word's default cell margins (0.08" each side).
TABLE_PT = 9
CHAR_TWIPS = 0.55 * TABLE_PT * 20
CELL_PAD_TWIPS = 2 * 115
WANT_CHARS = 38  # a column wider than this wraps rather than squeezing the others


def _style(doc: DocxDocument, name: str) -> str | None:
    """`name` if the reference document defines it (a trust's may not), else None."""
    try:
        doc.styles[name]
    except KeyError:
        return None
    return name


def _write(paragraph: Paragraph, text: str, *, bold: bool = False) -> None:
    """Plain text into a paragraph, newlines as line breaks."""
    run = paragraph.add_run()
    run.bold = bold or None
    for n, line in enumerate(text.split("\n")):
        if n:
            run.add_break()
        run.add_text(line)


def _para(doc: DocxDocument, text: str, style: str = "Normal", *, bold: bool = False
          ) -> Paragraph:
    chosen = _style(doc, style)
    paragraph = doc.add_paragraph(style=chosen)
    if chosen is None and style.startswith(("Heading", "Title")):
        bold = True
        paragraph.paragraph_format.keep_with_next = True
    _write(paragraph, text, bold=bold)
    return paragraph


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A complex field (PAGE, NUMPAGES) with a cached result Word and LibreOffice update."""
    def fld(kind: str) -> None:
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    fld("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    paragraph.add_run(shown)
    fld("end")


def _clear(container: object) -> None:
    element = getattr(container, "_element", container)
    for child in list(element):
        if child.tag != qn("w:sectPr"):
            element.remove(child)


def _header_footer(doc: DocxDocument, report: Report) -> None:
    for section in doc.sections:
        header, footer = section.header, section.footer
        header.is_linked_to_previous = footer.is_linked_to_previous = False
        _clear(header)
        _clear(footer)
        top = header.add_paragraph(style=_style(doc, "Header"))
        top.add_run(report.trust).bold = True
        header.add_paragraph(report.title, style=_style(doc, "Header"))
        status = footer.add_paragraph(report.status, style=_style(doc, "Footer"))
        status.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pages = footer.add_paragraph(style=_style(doc, "Footer"))
        pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
        pages.add_run("Page ")
        _field(pages, "PAGE", "1")
        pages.add_run(" of ")
        _field(pages, "NUMPAGES", "1")


def usable_width(doc: DocxDocument) -> int:
    """The text width of the last section, in twips."""
    section = doc.sections[-1]
    width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    return int(width) // 635  # EMU to twips


def column_widths(headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                  total: int) -> list[int]:
    """Twips per column: never narrower than the column's longest word, wider for longer
    text (up to `WANT_CHARS`), scaled to fill `total`."""
    columns = list(zip(headers, *rows, strict=True)) if rows else [(h,) for h in headers]
    least, want = [], []
    for n, col in enumerate(columns):
        words = [len(w) * 1.1 for w in headers[n].split()]  # the header is bold
        words += [len(w) for cell in col[1:] for w in cell.split()]
        longest_word = max(words, default=1)
        longest_line = max(len(line) for cell in col for line in cell.split("\n"))
        least.append(longest_word * CHAR_TWIPS + CELL_PAD_TWIPS)
        want.append(max(least[-1], min(longest_line, WANT_CHARS) * CHAR_TWIPS + CELL_PAD_TWIPS))
    if sum(want) <= total:
        scale = total / sum(want)
        widths = [w * scale for w in want]
    elif sum(least) <= total:
        share = (total - sum(least)) / (sum(want) - sum(least))
        widths = [lo + (hi - lo) * share for lo, hi in zip(least, want, strict=True)]
    else:
        widths = [lo * total / sum(least) for lo in least]
    out = [int(w) for w in widths]
    out[-1] += total - sum(out)
    return out


def _shade(cell: _Cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _row_flags(row: object, *, header: bool) -> None:
    props = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    props.append(OxmlElement("w:cantSplit"))
    if header:
        props.append(OxmlElement("w:tblHeader"))


def _fixed_layout(grid: DocxTable, widths: list[int]) -> None:
    tbl_pr = grid._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:w"), str(sum(widths)))
    width.set(qn("w:type"), "dxa")
    for col, w in zip(grid._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(w))


def _cell(doc: DocxDocument, cell: _Cell, text: str, width: int, *, bold: bool = False,
          fill: str | None = None, colour: str | None = None, keep: bool = False) -> None:
    cell.width = Twips(width)
    paragraph = cell.paragraphs[0]
    paragraph.style = _style(doc, "Table Text")
    _write(paragraph, text, bold=bold)
    for run in paragraph.runs:
        if paragraph.style is None or paragraph.style.name != "Table Text":
            run.font.size = Pt(TABLE_PT)
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour)
    if keep:
        paragraph.paragraph_format.keep_with_next = True
    if fill:
        _shade(cell, fill)


def add_table(doc: DocxDocument, t: Table, *, header_row: bool = True) -> None:
    """A table with widths for its content, a repeating header and shaded ratings."""
    if t.caption:
        _para(doc, t.caption, "Caption", bold=True).paragraph_format.keep_with_next = True
    if not t.rows:
        _para(doc, "None.")
        return
    body = (t.headers, *t.rows) if header_row else t.rows
    widths = column_widths(t.headers, t.rows, usable_width(doc))
    grid = doc.add_table(rows=len(body), cols=len(t.headers))
    grid.style = _style(doc, "Table Grid")
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    _fixed_layout(grid, widths)
    rag_cols = {n for n, h in enumerate(t.headers) if h.lower() in RAG_HEADERS}
    for r, (row, values) in enumerate(zip(grid.rows, body, strict=True)):
        is_header = header_row and r == 0
        _row_flags(row, header=is_header)
        for c, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            fill = colour = None
            if is_header or (not header_row and c == 0):
                fill = HEADER_FILL
            elif c in rag_cols and text.lower() in RAG_FILL:
                fill, colour = RAG_FILL[text.lower()]
            labelled = is_header or (not header_row and c == 0) or (c in rag_cols and bool(fill))
            _cell(doc, cell, text, widths[c], bold=labelled,
                  fill=fill, colour=colour, keep=is_header)
    doc.add_paragraph(style=_style(doc, "Normal")).paragraph_format.space_after = Pt(0)


def _body(doc: DocxDocument, report: Report) -> None:
    _para(doc, report.title, "Title")
    frame = Table(("", ""), (("Report to", report.report_to), ("Report of", report.report_from),
                             ("Date", report.date), ("Status", report.status)))
    add_table(doc, frame, header_row=False)
    _para(doc, "1. Purpose of report", "Heading 1")
    _para(doc, report.purpose)
    _para(doc, "2. Recommendations", "Heading 1")
    numbered = _style(doc, "List Number")
    for n, rec in enumerate(report.recommendations, start=1):
        _para(doc, rec if numbered else f"{n}. {rec}", numbered or "Normal")
    _para(doc, "3. Background", "Heading 1")
    for text in report.background:
        _para(doc, text)
    if report.summary:
        add_table(doc, Table(("Summary", "Number"), report.summary))
    number = 4
    for section in report.sections:
        _para(doc, f"{number}. {section.title}", "Heading 1")
        number += 1
        for block in section.blocks:
            if block.kind == "para":
                _para(doc, block.text)
            elif block.kind == "bullets":
                bullet = _style(doc, "List Bullet")
                for item in block.items:
                    _para(doc, item if bullet else f"\u2022 {item}", bullet or "Normal")
            else:
                add_table(doc, block)
    _para(doc, f"{number}. Implications", "Heading 1")
    for label, text in (("Financial implications", report.financial),
                        ("Legal implications", report.legal),
                        ("Equality implications", report.equality)):
        _para(doc, label, "Heading 2")
        _para(doc, text)
    _para(doc, f"{number + 1}. Contact officer", "Heading 1")
    add_table(doc, Table(("", ""), tuple(report.contact.rows())), header_row=False)
    _para(doc, "Appendix A: returns used and missing", "Heading 1")
    add_table(doc, report.returns)
    _para(doc, f"Returns fingerprint (sha256): {report.fingerprint}")


def _core_properties(doc: DocxDocument, report: Report, at: datetime) -> None:
    props = doc.core_properties
    props.title, props.subject = report.title, report.report_to
    props.author, props.last_modified_by = report.trust, report.contact.name
    props.category, props.keywords = "Committee report", report.kind.replace("_", " ")
    props.comments, props.revision = report.status, 1
    props.created = props.modified = at
    props.last_printed = at


def normalise_zip(data: bytes, at: datetime) -> bytes:
    """The same package with fixed member timestamps, order and attributes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    listed = source.namelist()
    names = sorted(listed, key=lambda n: (n != "[Content_Types].xml", listed.index(n)))
    out = io.BytesIO()
    stamp = (max(at.year, 1980), at.month, at.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, source.read(name), compresslevel=6)
    return out.getvalue()


def render_docx(report: Report, house_style: Path | None = None) -> bytes:
    """The report as a Word document on `house_style` (default: the built-in reference)."""
    doc = open_reference(house_style or (Path(report.house_style) if report.house_style
                                         else None))
    _clear(doc.element.body)
    _header_footer(doc, report)
    _body(doc, report)
    at = datetime.combine(report.written, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    _core_properties(doc, report, at.replace(tzinfo=None))
    out = io.BytesIO()
    doc.save(out)
    return normalise_zip(out.getvalue(), at)
