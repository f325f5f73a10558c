"""Small source files written at test time (no binary fixtures in the repository).

PDFs are made with fpdf2 and its built-in Helvetica, which covers Latin-1 and so all of Swedish's letters;
.docx files with python-docx; HTML and text files by hand.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from collections.abc import Sequence
from pathlib import Path

import docx
from fpdf import FPDF

#: Three pages of a follow-up report: headings and paragraphs, each page naming its own places so that a
#: test can tell the pages apart. A word is hyphenated across the break between pages 2 and 3.
PDF_PAGES: tuple[tuple[str, ...], ...] = (
    (
        "Uppföljning av trygghetsarbetet 2021",
        "Stadsdelsförvaltningen har under året arbetat med trygghetsvandringar i Skärholmen. Vandringarna "
        "genomfördes tillsammans med polisen, fastighetsägare och boende i området, och de platser som "
        "upplevdes som otrygga fördes in i en gemensam åtgärdslista som följs upp varje månad.",
        "Belysningen i gångtunnlarna vid Skärholmens centrum har bytts ut och buskage har röjts längs de "
        "gångvägar som boende pekade ut. Fastighetsägarna har samtidigt förstärkt sin egen städning och "
        "tar bort klotter inom ett dygn efter att det har anmälts.",
    ),
    (
        "Medborgarvärdar",
        "I Vårberg har förvaltningen anställt medborgarvärdar som rör sig i området på kvällar och helger. "
        "Värdarna är förvaltningens förlängda arm, fångar upp synpunkter från de boende och slussar dem "
        "vidare till rätt verksamhet inom förvaltningen eller till andra aktörer i staden.",
        "Medborgarvärdarna samarbetar med fältassistenterna och med fritidsgårdarna, så att unga som är ute "
        "sent får kontakt med vuxna som kan ge stöd. Arbetet beskrivs närmare i det lokala utvecklings"
        "programmet och i förvaltningens verksamhetsplan. Under hösten startar dessutom sommarjobbspro-",
    ),
    (
        "grammet, som riktar sig till ungdomar i Bredäng och Sätra mellan sexton och arton år. "
        "Ungdomarna arbetar i parkerna, på fritidsgårdarna och i förskolorna under fyra veckor.",
        "Fritid för unga",
        "I Bredäng har fritidsgården utökat sina öppettider under sommaren. Ungdomar har själva planerat "
        "aktiviteterna tillsammans med fritidsledarna, och besöksantalet har ökat jämfört med året innan.",
    ),
)
#: Characters per line when the PDF text is wrapped, as a word processor would wrap it.
PDF_LINE_CHARS = 88


def write_pdf(
    path: Path,
    pages: Sequence[Sequence[str]] = PDF_PAGES,
    title: str | None = None,
    user_password: str | None = None,
) -> Path:
    """A text PDF with one page per entry of ``pages``, each entry's strings wrapped into hard lines.

    A string of at most eight words is set in bold as a heading. With ``user_password`` the file is
    RC4-encrypted and cannot be opened without that password.
    """
    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    if title:
        pdf.set_title(title)
    if user_password is not None:
        pdf.set_encryption(owner_password="ägare", user_password=user_password)
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            heading = len(paragraph.split()) <= 8
            pdf.set_font("Helvetica", style="B" if heading else "", size=13 if heading else 10)
            for line in textwrap.wrap(paragraph, PDF_LINE_CHARS, break_on_hyphens=False):
                pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    pdf.output(str(path))
    return path


def write_truncated_pdf(path: Path) -> Path:
    """A PDF cut off half-way, as an interrupted download leaves it."""
    whole = write_pdf(path.with_name(path.stem + "-whole.tmp"))
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_docx(
    path: Path,
    title: str,
    sections: Sequence[tuple[str, Sequence[str]]],
    table: Sequence[Sequence[str]] = (),
    created: datetime = datetime(2021, 3, 1),
) -> Path:
    """A .docx with a title, then per section a Heading 1 and its paragraphs, then an optional table."""
    document = docx.Document()
    document.core_properties.title = title
    # python-docx's template carries its own creation date (2013); set one the test knows.
    document.core_properties.created = created
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, text in zip(row.cells, cells):
                cell.text = text
    document.save(str(path))
    return path


def write_html(path: Path, title: str, sections: Sequence[tuple[str, Sequence[str]]]) -> Path:
    """An HTML page with a script, a style sheet and a navigation bar around <h2> sections of paragraphs."""
    body = "".join(
        f"<h2>{heading}</h2>" + "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        for heading, paragraphs in sections
    )
    path.write_text(
        "<!doctype html><html><head>"
        f"<title>{title}</title>"
        "<style>body { font-family: sans-serif; } .dold { display: none; }</style>"
        "<script>var spårning = 'skriptet ska aldrig indexeras';</script>"
        "</head><body>"
        "<nav><a href='/'>Startsida</a> <a href='/om'>Om webbplatsen</a></nav>"
        f"<h1>{title}</h1>{body}"
        "<script>console.log('inte heller detta skript');</script>"
        "</body></html>",
        encoding="utf-8",
    )
    return path
