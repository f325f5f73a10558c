"""Small source files written at test time (no binary fixtures in the repository).

PDFs are made with fpdf2 and its built-in Helvetica, which covers Latin-1 and so all of Swedish's letters;
.docx files with python-docx; HTML and text files by hand.
"""

from __future__ import annotations

import os
import struct
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

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
    aes: bool = False,
    header: Sequence[str] = (),
    footer: Sequence[str] = (),
) -> Path:
    """A text PDF with one page per entry of ``pages``, each entry's strings wrapped into hard lines.

    A string of at most eight words is set in bold as a heading. With ``user_password`` the file is
    encrypted (RC4, or AES-256 with ``aes``) and cannot be opened without that password ("" opens it).
    ``header`` and ``footer`` are running lines in small type, set side by side (left, then right-aligned)
    at the top and bottom of every page; ``{page}`` and ``{pages}`` in them become the page counter.
    """
    pdf = _RunningLines(header, footer, len(pages))
    pdf.set_auto_page_break(auto=False)
    if title:
        pdf.set_title(title)
    if user_password is not None:
        method = EncryptionMethod.AES_256 if aes else EncryptionMethod.RC4
        pdf.set_encryption(owner_password="ägare", user_password=user_password, encryption_method=method)
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


class _RunningLines(FPDF):
    """FPDF with a running header and footer (fpdf2 calls ``header`` and ``footer`` on every page)."""

    def __init__(self, header: Sequence[str], footer: Sequence[str], pages: int):
        super().__init__()
        self.running = (header, footer)
        self.pages_total = pages

    def header(self) -> None:
        self._running_line(self.running[0])

    def footer(self) -> None:
        if self.running[1]:
            self.set_y(-15)
            self._running_line(self.running[1])

    def _running_line(self, parts: Sequence[str]) -> None:
        if not parts:
            return
        self.set_font("Helvetica", size=8)
        texts = [part.format(page=self.page_no(), pages=self.pages_total) for part in parts]
        width = (self.w - self.l_margin - self.r_margin) / len(texts)
        for position, text in enumerate(texts):
            align = "L" if position == 0 else "R" if position == len(texts) - 1 else "C"
            last = position == len(texts) - 1
            self.cell(width, 5, text, align=align, new_x="LMARGIN" if last else "RIGHT", new_y="NEXT" if last else "TOP")
        self.ln(4)


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


# Hostile files: each once stopped or stalled a whole build (issue 17). Written here, never committed.

#: A paragraph of ordinary report prose, repeated to make large files.
PROSE = (
    "Stadsdelsförvaltningen har under året arbetat med trygghetsvandringar i Skärholmen tillsammans med "
    "polisen och fastighetsägarna. De platser som upplevdes som otrygga fördes in i en åtgärdslista."
)


def write_docx_with_malformed_xml(path: Path) -> Path:
    """A .docx whose main part is cut off in the middle of an element (not well-formed XML)."""
    write_docx(path, "Plan för Farsta", [("Trygghet", [PROSE])])
    _rewrite_part(path, "word/document.xml", lambda xml: xml[: len(xml) // 2])
    return path


def write_docx_with_encrypted_entry(path: Path) -> Path:
    """A .docx whose main part is flagged as encrypted in the zip (general purpose bit 0), as
    password-protecting tools leave it."""
    write_docx(path, "Plan för Farsta", [("Trygghet", [PROSE])])
    data = bytearray(path.read_bytes())
    name = b"word/document.xml"
    # The flag is set in the entry's local header (signature PK\3\4) and in its central directory record
    # (PK\1\2); the general purpose flags sit 6 and 8 bytes after those signatures.
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = 0
        while (position := data.find(signature, position)) != -1:
            name_at = position + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                (flags,) = struct.unpack_from("<H", data, position + flags_at)
                struct.pack_into("<H", data, position + flags_at, flags | 0x1)
            position += 4
    path.write_bytes(bytes(data))
    return path


def write_docx_zip_bomb(path: Path, paragraphs: int = 4_500_000) -> Path:
    """A small .docx (under 0.5 MB) whose main part unpacks to about 150 MB of paragraphs of one letter."""
    write_docx(path, "Plan för Farsta", [("Trygghet", [PROSE])])
    with zipfile.ZipFile(path) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    head, tail = xml[: xml.index("<w:body>") + len("<w:body>")], xml[xml.index("<w:sectPr") :]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name, content in parts.items():
            if name != "word/document.xml":
                bomb.writestr(name, content)
        with bomb.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            block = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 10_000
            for _ in range(paragraphs // 10_000):
                part.write(block)
            part.write(tail.encode())
    return path


def write_html_of_many_paragraphs(path: Path, paragraphs: int = 40_000) -> Path:
    """An HTML page of ``paragraphs`` short <p> elements (about 680 kB for 40,000)."""
    body = "".join(f"<p>Stycke {number}.</p>" for number in range(paragraphs))
    path.write_text(f"<html><head><title>Många stycken</title></head><body>{body}</body></html>", encoding="utf-8")
    return path


def write_markdown_of_backticks(path: Path, repeats: int = 20_000) -> Path:
    """Markdown with one 60 kB line of "`a " repeated: every backtick opens a code span none closes."""
    path.write_text("# Anteckningar\n\n" + "`a " * repeats + "\n", encoding="utf-8")
    return path


def write_repetitive_text(path: Path, size: int = 50_000_000) -> Path:
    """A text of ``size`` bytes made of a few paragraphs repeated (under the default size limit)."""
    paragraphs = [f"Avsnitt {number}\n\n{PROSE} Åtgärd {number} följs upp varje tertial.\n\n" for number in range(40)]
    block = "".join(paragraphs).encode("utf-8")
    with path.open("wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    return path


def write_symlink_loop(folder: Path) -> tuple[Path, Path]:
    """Two links in ``folder`` pointing at each other."""
    first, second = folder / "slinga-a.txt", folder / "slinga-b.txt"
    first.symlink_to(second.name)
    second.symlink_to(first.name)
    return first, second


def write_file_with_non_utf8_name(folder: Path, text: str) -> bytes:
    """A text file whose name is Latin-1 bytes ("rapport-år.txt"), not valid UTF-8; returns the name."""
    name = "rapport-år.txt".encode("latin-1")
    with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
        handle.write(text.encode("utf-8"))
    return name


def _rewrite_part(path: Path, name: str, change) -> None:
    """Replace the zip entry ``name`` of ``path`` by ``change(its bytes)``, keeping the other entries."""
    with zipfile.ZipFile(path) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    parts[name] = change(parts[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for part, content in parts.items():
            rewritten.writestr(part, content)


def write_utf32_text(path: Path, text: str) -> Path:
    """``text`` in UTF-32 with its byte order mark."""
    path.write_bytes(text.encode("utf-32"))
    return path


def write_utf8_with_one_bad_byte(path: Path, text: str) -> Path:
    """``text`` in UTF-8 with one byte that is not UTF-8 (0xFF) after its first line."""
    first, rest = text.split("\n", 1)
    path.write_bytes(first.encode("utf-8") + b"\xff\n" + rest.encode("utf-8"))
    return path


#: The hostile files of issue 17 by name; each writer puts its file (or links) into a folder and returns the
#: names it made. The test suite and the benchmark (`python -m eval.bench.hostile`) share them.
HOSTILE_FILES: dict[str, Callable[[Path], list[str]]] = {
    "aes-encrypted-pdf": lambda folder: [write_pdf(folder / "aes-krypterad.pdf", user_password="hemligt", aes=True).name],
    "docx-malformed-xml": lambda folder: [write_docx_with_malformed_xml(folder / "trasig-xml.docx").name],
    "docx-encrypted-entry": lambda folder: [write_docx_with_encrypted_entry(folder / "krypterad-del.docx").name],
    "symlink-loop": lambda folder: [link.name for link in write_symlink_loop(folder)],
    "non-utf8-name": lambda folder: [os.fsdecode(write_file_with_non_utf8_name(folder, PROSE))],
    "html-40000-paragraphs": lambda folder: [write_html_of_many_paragraphs(folder / "manga-stycken.html").name],
    "markdown-backticks": lambda folder: [write_markdown_of_backticks(folder / "backticks.md").name],
    "docx-zip-bomb": lambda folder: [write_docx_zip_bomb(folder / "zipbomb.docx").name],
    "text-50mb-repetitive": lambda folder: [write_repetitive_text(folder / "upprepad.txt").name],
    "utf32-text": lambda folder: [write_utf32_text(folder / "utf32.txt", PROSE + "\n").name],
    "utf8-one-bad-byte": lambda folder: [write_utf8_with_one_bad_byte(folder / "en-trasig-byte.txt", "Rubrik\n" + PROSE + "\n").name],
}


#: Places for the headings of generated report pages.
PLACES = ("Vårberg", "Bredäng", "Sätra", "Skärholmen", "Hökarängen", "Farsta", "Tensta", "Rinkeby", "Kista", "Alvik")


def area_code(page: int) -> int:
    """The number of the area that page ``page`` of ``report_pages`` is about."""
    return 100 + 7 * page


def report_pages(count: int) -> list[list[str]]:
    """``count`` pages of a report: each a heading and two paragraphs about an area of the page's own
    (``area_code``), so that a test can find every page's text (and tell that nothing of it was lost)."""
    return [
        [
            f"Trygghetsarbetet i {PLACES[(number - 1) % len(PLACES)]}",
            f"I område {area_code(number)} beskriver förvaltningen hur trygghetsvandringarna genomfördes "
            "tillsammans med polisen, fastighetsägarna och de boende, och vilka platser som fördes in i listan.",
            f"Uppföljningen av område {area_code(number)} visar att belysningen har förbättrats och att de boende "
            "känner sig tryggare än året innan, särskilt på kvällarna när fritidsgårdarna har öppet.",
        ]
        for number in range(1, count + 1)
    ]


def write_paged_docx(
    path: Path,
    pages: Sequence[Sequence[str]],
    typed_header: str | None = None,
    typed_footer: str | None = None,
    header: str | None = None,
    page_field_footer: bool = False,
) -> Path:
    """A .docx of ``pages`` separated by page breaks; the first string of a page is a Heading 1.

    ``typed_header`` and ``typed_footer`` are paragraphs typed into the body at the top and bottom of every
    page (as documents converted from PDF have them), ``{page}`` and ``{pages}`` becoming the counter;
    ``header`` is the text of Word's own header part and ``page_field_footer`` puts a PAGE field in Word's
    footer part (neither is body text).
    """
    document = docx.Document()
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if page_field_footer:
        footer = section.footer.paragraphs[0]
        footer.text = "Sida "
        footer._p.append(
            docx.oxml.parse_xml(
                '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:instr="PAGE">'
                "<w:r><w:t>1</w:t></w:r></w:fldSimple>"
            )
        )
    for number, paragraphs in enumerate(pages, start=1):
        counters = {"page": number, "pages": len(pages)}
        if typed_header:
            document.add_paragraph(typed_header.format(**counters))
        document.add_heading(paragraphs[0], level=1)
        for paragraph in paragraphs[1:]:
            document.add_paragraph(paragraph)
        last = document.add_paragraph(typed_footer.format(**counters)) if typed_footer else document.paragraphs[-1]
        if number < len(pages):
            last.add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path
