"""Reading every supported format, and what happens to files that cannot be read.

Files are generated at test time (tests/generated_files.py). Builds use the fast HashEmbedder: what is
tested here is reading and skipping, not embedding.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from indexer.documents import discover, parse_document
from indexer.gazetteer import load_gazetteer
from indexer.pipeline import BuildReport, build_index
from indexer.readers import UnreadableDocument, decode_text, read_file
from indexer.storage import load_index
from indexer.types import Document
from tests.conftest import GAZETTEER, make_settings
from tests.fakes import HashEmbedder
from tests.generated_files import write_docx, write_html, write_pdf, write_truncated_pdf

SWEDISH = (
    "Stadsdelsnämnden i Skärholmen har beslutat att förlänga arbetet med medborgarvärdar i Vårberg – "
    "värdarna rör sig i området på kvällar och helger. Förvaltningen säger att ”arbetet har gett resultat” "
    "och att de boende känner sig tryggare än förra året.\n"
)


def parse(path: Path) -> Document:
    """Parse one file of the corpus folder it lies in."""
    return parse_document(path, path.parent, path.read_bytes(), load_gazetteer(GAZETTEER))


def build(corpus: Path, index: Path, **overrides) -> BuildReport:
    """Index ``corpus`` into ``index`` with the fast fake embedder."""
    return build_index(make_settings(index, corpus, **overrides), embedder=HashEmbedder())


# Formats


def test_pdf_pages_keep_their_numbers(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "trygghet.pdf", title="Trygghetsrapport Skärholmen 2021")
    build(corpus, tmp_path / "index")
    index = load_index(tmp_path / "index")
    document = index.documents["trygghet"]

    assert document.title.startswith("Trygghetsrapport Skärholmen 2021")
    assert document.districts == ("Skärholmen",)
    assert [page.number for page in document.pages] == [1, 2, 3]
    pages = {chunk.section: chunk.page for chunk in index.chunks}
    assert pages == {"Uppföljning av trygghetsarbetet 2021": 1, "Medborgarvärdar": 2, "Fritid för unga": 3}
    for chunk in index.chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
    for place, page in (("Skärholmens centrum", 1), ("I Vårberg", 2), ("fritidsgården utökat", 3)):
        assert document.page_at(document.text.index(place)) == page


def test_pdf_hard_wraps_and_a_word_broken_over_a_page_are_repaired(tmp_path):
    document = parse(write_pdf(tmp_path / "trygghet.pdf"))
    assert "Vandringarna genomfördes tillsammans med polisen, fastighetsägare och boende i området, och de" in (
        document.text
    )
    assert "startar dessutom sommarjobbsprogrammet, som riktar sig till ungdomar i Bredäng" in document.text
    offset = document.text.index("grammet, som riktar")
    assert document.page_at(offset) == 3
    assert document.page_at(document.text.index("sommarjobbsprogrammet")) == 2


def test_docx_headings_become_sections_and_tables_are_kept(tmp_path):
    path = write_docx(
        tmp_path / "plan.docx",
        "Lokal plan för Hässelby-Vällingby",
        [
            ("Trygghet", ["Förvaltningen arbetar med trygghetsvandringar i Vällingby centrum tillsammans med polisen."]),
            ("Fritid", ["Fritidsgården i Hässelby strand har fått nya lokaler under året."]),
        ],
        table=[["Åtgärd", "Ansvar"], ["Belysning i gångtunnlar", "Trafikkontoret"]],
    )
    document = parse(path)
    assert document.title == "Lokal plan för Hässelby-Vällingby (2021)"
    assert document.year == 2021
    assert document.districts == ("Hässelby-Vällingby",)
    assert [s.title for s in document.sections][1:] == ["Trygghet", "Fritid"]
    fritid = document.sections[-1]
    assert "Hässelby strand har fått nya lokaler" in document.text[fritid.start : fritid.end]
    assert "Belysning i gångtunnlar | Trafikkontoret" in document.text


def test_html_headings_become_sections_and_scripts_are_dropped(tmp_path):
    path = write_html(
        tmp_path / "kultur.html",
        "Kultur i Skärholmen",
        [
            ("Kulturhuset", ["Kulturhuset i Skärholmen erbjuder teater och musik för barn varje helg under hösten."]),
            ("Biblioteket", ["Biblioteket i Vårberg har förlängt sina öppettider på kvällarna."]),
        ],
    )
    document = parse(path)
    assert document.title == "Kultur i Skärholmen"
    assert [s.title for s in document.sections] == ["Kultur i Skärholmen", "Kulturhuset", "Biblioteket"]
    for unwanted in ("skriptet", "console.log", "font-family", "Startsida", "<"):
        assert unwanted not in document.text
    biblioteket = document.sections[-1]
    assert document.text[biblioteket.start : biblioteket.end] == (
        "Biblioteket i Vårberg har förlängt sina öppettider på kvällarna."
    )


def test_markdown_headings_become_sections_without_their_markup(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(
        "# Trygghetsplan för Skärholmen\n\n"
        "## Medborgarvärdar\n\n"
        "Stadsdelsförvaltningen anställer **medborgarvärdar** som rör sig i Vårberg på kvällar och helger.\n\n"
        "## Fritid\n\n"
        "- Fritidsgården i Bredäng har öppet på lördagar.\n"
        "- Sommarlovsaktiviteter i [Sätra](https://example.org/satra).\n",
        encoding="utf-8",
    )
    document = parse(path)
    assert document.title.startswith("Trygghetsplan för Skärholmen")
    assert [s.title for s in document.sections] == ["Trygghetsplan för Skärholmen", "Medborgarvärdar", "Fritid"]
    assert "anställer medborgarvärdar som" in document.text
    assert "Sommarlovsaktiviteter i Sätra." in document.text
    for markup in ("#", "**", "](", "https://"):
        assert markup not in document.text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1252", SWEDISH),
        ("latin-1", SWEDISH.replace("–", "-").replace("”", '"')),
        ("utf-8", SWEDISH),
        ("utf-8-sig", SWEDISH),
        ("utf-16", SWEDISH),
    ],
)
def test_text_in_legacy_encodings_is_decoded(encoding, text):
    decoded = decode_text(text.encode(encoding))
    assert decoded == text
    assert "Skärholmen" in decoded and "Vårberg" in decoded


# Bad input: every file is indexed or skipped with a reason, and the rest is indexed


@pytest.fixture
def messy_corpus(tmp_path: Path) -> Path:
    """A corpus of good files and every kind of bad one, with a secret file outside it behind a link."""
    corpus = tmp_path / "corpus"
    (corpus / "undermapp").mkdir(parents=True)
    outside = tmp_path / "utanfor"
    outside.mkdir()
    (outside / "hemlig.txt").write_text("Hemliga uppgifter som inte får indexeras.\n", encoding="utf-8")

    (corpus / "bra.txt").write_text(SWEDISH, encoding="utf-8")
    (corpus / "undermapp" / "djup.md").write_text("# Farsta\n\n" + SWEDISH.replace("Skärholmen", "Farsta"))
    (corpus / "windows.txt").write_bytes(SWEDISH.encode("cp1252"))
    (corpus / "latin.txt").write_bytes(SWEDISH.replace("–", "-").replace("”", '"').encode("latin-1"))
    write_pdf(corpus / "rapport.pdf")
    write_pdf(corpus / "agarlosen.pdf", user_password="")  # encrypted, but opens without a password
    write_docx(corpus / "plan.docx", "Plan för Bromma", [("Trygghet", [SWEDISH.replace("Skärholmen", "Bromma")])])
    write_html(corpus / "sida.html", "Kultur i Älvsjö", [("Kultur", [SWEDISH.replace("Skärholmen", "Älvsjö")])])

    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "blank.md").write_text("  \n\n \t\n")
    (corpus / "binar.txt").write_bytes(bytes(range(256)) * 20)
    (corpus / "brus.txt").write_bytes(bytes(range(1, 256)) * 40)
    write_pdf(corpus / "krypterad.pdf", user_password="hemligt")
    write_truncated_pdf(corpus / "trasig.pdf")
    (corpus / "inte-zip.docx").write_bytes(b"Det h\xe4r \xe4r ingen docx-fil.")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("anteckning.txt", "En zip-fil, men inget Word-dokument.")
    (corpus / "fel-zip.docx").write_bytes(archive.getvalue())
    (corpus / "tabell.xlsx").write_bytes(b"PK\x03\x04")
    (corpus / "README").write_text("Ingen filändelse.")
    (corpus / "lank.txt").symlink_to(outside / "hemlig.txt")
    (corpus / "trasig-lank.txt").symlink_to(corpus / "finns-inte.txt")
    (corpus / ".dold.txt").write_text("Dolda filer indexeras inte.")
    return corpus


EXPECTED_SKIPS = {
    "tom.txt": "empty file",
    "blank.md": "empty file",
    "binar.txt": "binary file (contains NUL bytes), not text",
    "brus.txt": "binary file, not text",
    "krypterad.pdf": "encrypted PDF (needs a password)",
    "trasig.pdf": "broken PDF (",
    "inte-zip.docx": "not a valid .docx (not a zip archive)",
    "fel-zip.docx": "broken .docx (",
    "tabell.xlsx": "unsupported file type .xlsx",
    "README": "unsupported file type (none)",
    "lank.txt": "link pointing outside the corpus",
    "trasig-lank.txt": "not a regular file",
}
EXPECTED_DOCUMENTS = {"bra", "undermapp/djup", "windows", "latin", "rapport", "agarlosen", "plan", "sida"}


def test_every_bad_file_is_skipped_with_a_reason_and_the_rest_is_indexed(tmp_path, messy_corpus):
    report = build(messy_corpus, tmp_path / "index")

    reasons = {skipped.path: skipped.reason for skipped in report.skipped}
    assert set(reasons) == set(EXPECTED_SKIPS)
    for path, reason in EXPECTED_SKIPS.items():
        assert reasons[path].startswith(reason), (path, reasons[path])
    index = load_index(tmp_path / "index")
    assert set(index.documents) == EXPECTED_DOCUMENTS
    assert report.documents == len(EXPECTED_DOCUMENTS)
    assert {chunk.doc_id for chunk in index.chunks} == EXPECTED_DOCUMENTS
    assert not any("Hemliga uppgifter" in document.text for document in index.documents.values())


def test_legacy_encoded_files_are_indexed_with_their_letters(tmp_path, messy_corpus):
    build(messy_corpus, tmp_path / "index")
    index = load_index(tmp_path / "index")
    assert index.documents["windows"].text == SWEDISH.strip()
    assert index.documents["latin"].text == SWEDISH.replace("–", "-").replace("”", '"').strip()
    legacy = [chunk for chunk in index.chunks if chunk.doc_id in ("windows", "latin")]
    assert len(legacy) == 2
    assert all(chunk.districts == ("Skärholmen",) for chunk in legacy)


def test_a_file_over_the_size_limit_is_skipped_unread(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "liten.txt").write_text(SWEDISH, encoding="utf-8")
    (corpus / "stor.txt").write_text(SWEDISH * 10, encoding="utf-8")
    limit = len((SWEDISH * 2).encode("utf-8"))

    report = build(corpus, tmp_path / "index", max_file_bytes=limit)

    assert [(s.path, s.reason.split(" (")[0]) for s in report.skipped] == [("stor.txt", "file too large")]
    assert f"the limit is {limit:,}" in report.skipped[0].reason
    assert set(load_index(tmp_path / "index").documents) == {"liten"}


def test_two_files_with_one_document_id_keep_the_first(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "Rapport 2021.txt").write_text(SWEDISH, encoding="utf-8")
    (corpus / "rapport-2021.md").write_text(SWEDISH.replace("Skärholmen", "Farsta"), encoding="utf-8")

    report = build(corpus, tmp_path / "index")

    assert [(s.path, s.reason) for s in report.skipped] == [
        ("rapport-2021.md", "same document id as Rapport 2021.txt")
    ]
    index = load_index(tmp_path / "index")
    assert list(index.documents) == ["rapport-2021"]
    assert "Skärholmen" in index.documents["rapport-2021"].text


def test_discovery_ignores_hidden_files_and_the_gazetteer(tmp_path, messy_corpus):
    gazetteer = messy_corpus / "districts.yaml"
    gazetteer.write_text("districts: []\n")
    found, skipped = discover(messy_corpus, exclude=(gazetteer,))
    names = {path.name for path in found} | {Path(s.path).name for s in skipped}
    assert ".dold.txt" not in names
    assert "districts.yaml" not in names


def test_read_file_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(UnreadableDocument, match="unsupported file type .exe"):
        read_file(tmp_path / "program.exe", b"MZ\x90\x00")
    with pytest.raises(UnreadableDocument, match="PDF has no text layer"):
        read_file(tmp_path / "skannad.pdf", write_pdf(tmp_path / "tom.pdf", pages=[[]]).read_bytes())
