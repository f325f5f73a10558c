"""Cleaning extracted text into the paragraphs a reader would want, keeping page positions.

The cleaned text is the paragraphs joined by blank lines; every offset in the index points into it.
What is dropped: form boilerplate and the empty form fields it fills, table-of-contents lines, page
furniture: found by repetition (lines that open or close most pages, or both pages of two, numbers aside)
and by shape (page counters such as "Sida 1 (2)", "1 / 12" or "- 3 -", alone or ending a header line, and
document reference lines, at a page's edge), never from a list of known headers. What is repaired: PDF
hard line wraps, hyphenation at line ends, paragraphs cut in two by a page break, runs of whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .types import PageSpan

BOILERPLATE = re.compile(r"klicka (?:eller tryck )?här för att ange (?:text|datum)\.?", re.IGNORECASE)
TOC_LINE = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?[^\t]*?\S(?:\t+|\s{2,}|\s*\.{3,}\s*|\s*…+\s*)\d{1,3}\s*$")
TOC_TITLE = re.compile(r"^\s*(?:innehåll|innehållsförteckning)\s*$", re.IGNORECASE)
PAGE_NUMBER = re.compile(
    r"^\s*(?:(?:sida|s\.|page)\s*)?\d{1,3}(?:\s*(?:av|of|/|\()\s*\d{1,3}\)?)?\s*$"  # 3, Sida 1 (2), 1 / 12
    r"|^\s*[-–—]\s*\d{1,3}\s*[-–—]\s*$",  # - 3 -
    re.IGNORECASE,
)
# A page counter that ends (or opens) a line of other text: "Tjänsteutlåtande ... Sida 1 (2)".
EDGE_COUNTER = re.compile(
    r"(?:^|\s)(?:sida|page)\s+\d{1,3}\s*(?:\(\s*\d{1,3}\s*\)|(?:av|of|/)\s*\d{1,3})\s*$"
    r"|^\s*(?:sida|page)\s+\d{1,3}\s*(?:\(\s*\d{1,3}\s*\)|(?:av|of|/)\s*\d{1,3})\s",
    re.IGNORECASE,
)
# A document reference line as letterheads print it: "Dnr SDN 2021/123", "Tjänsteutlåtande Dnr 1.2-345/2021".
REFERENCE = re.compile(r"\b(?:dnr|diarienr|diarienummer|ärendenr|ärendenummer)\b[.:]?\s*\S*\d", re.IGNORECASE)
#: Lines at each end of a page where running headers and footers sit.
EDGE_LINES = 2
#: Longest line that can be furniture: headers and footers are short.
FURNITURE_CHARS = 120
SEPARATOR = re.compile(r"^\s*[-_=*·•.–—]{4,}\s*$")
TERMINAL = tuple(".!?:;)”\"'»")
# A hyphen before these words is a shared compound part ("kultur- och idrottsförvaltningen"), not a break.
CONJUNCTIONS = frozenset({"och", "eller", "samt", "respektive", "som", "till", "men", "resp"})
# Words a sentence never ends on (prepositions, conjunctions, the infinitive mark).
DANGLING = frozenset(
    {"med", "och", "för", "till", "av", "att", "i", "på", "om", "samt", "eller", "från", "mot", "inom", "vid", "hos",
     "genom", "enligt", "mellan", "utan", "under", "den", "det", "de", "en", "ett"}
)
INLINE_BREAK = re.compile(r"(\w)- (?!(?:och|eller|samt|respektive|som|till|men)\b)([a-zåäöé])")
INLINE_NAME_BREAK = re.compile(r"([A-ZÅÄÖ][a-zåäöé]+)- ([A-ZÅÄÖ])")
# Questions of the follow-up forms ("Beskriv ...", "Hur sker ...?"): they end where their sentence ends.
FORM_QUESTION = re.compile(
    r"^(?:Beskriv|Hur|Vilka|Vilken|Vilket|Vad|Varför|Redogör|Ange|På vilket sätt|Finns det|Har nämnden)\b"
)
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Block:
    """One cleaned paragraph (or heading line) and where it lies in the cleaned text."""

    text: str
    start: int
    end: int
    page: int | None


@dataclass(frozen=True, slots=True)
class CleanText:
    """The cleaned text of a document, its paragraphs and its page spans."""

    text: str
    blocks: tuple[Block, ...]
    pages: tuple[PageSpan, ...]


@dataclass(slots=True)
class _Line:
    text: str
    page: int | None
    width: int  # length of the raw line, for detecting hard wraps


def clean(pages: tuple[tuple[int | None, str], ...], enabled: bool = True) -> CleanText:
    """Clean the pages of one document into paragraphs with offsets and page spans.

    ``enabled=False`` only splits the text into paragraphs at blank lines, keeping every line as it was
    (the evaluation's "no cleaning" ablation).
    """
    if not enabled:
        return _assemble(_raw_paragraphs(_split_lines(pages)))
    lines = _drop_furniture(_split_lines(pages), paginated=any(number is not None for number, _ in pages))
    wrap_width = _hard_wrap_width(lines)
    paragraphs = _merge_across_gaps(_paragraphs(lines, wrap_width), wrap_width)
    return _assemble(paragraphs)


def _split_lines(pages: tuple[tuple[int | None, str], ...]) -> list[_Line | None]:
    """Lines of all pages; None stands for a blank line (and for a page break)."""
    out: list[_Line | None] = []
    for number, page_text in pages:
        text = unicodedata.normalize("NFC", page_text).replace("\r\n", "\n").replace("\r", "\n")
        text = INVISIBLE.sub("", text)
        for raw in text.split("\n"):
            raw = CONTROL.sub(" ", raw.replace("\f", " "))
            if not raw.strip():
                out.append(None)
                continue
            out.append(_Line(raw, number, len(raw.rstrip())))
        out.append(None)
    return out


def _drop_furniture(lines: list[_Line | None], paginated: bool) -> list[_Line | None]:
    repeated = _repeated_page_lines(lines) if paginated else set()
    edges = _page_edges(lines) if paginated else set()
    kept: list[_Line | None] = []
    for index, line in enumerate(lines):
        if line is None:
            kept.append(None)
            continue
        raw = line.text
        if TOC_LINE.match(raw) or SEPARATOR.match(raw) or PAGE_NUMBER.match(raw):
            continue
        if TOC_TITLE.match(raw) and _next_is_toc(lines, index):
            continue
        if _furniture_key(raw) in repeated or (index in edges and _furniture_shape(raw)):
            continue
        if BOILERPLATE.search(raw):
            rest = BOILERPLATE.sub("", raw).strip()
            if not rest:
                _drop_empty_field_label(kept)
                continue
            raw = BOILERPLATE.sub("", raw)
        text = _tidy_line(raw)
        if text:
            kept.append(_Line(text, line.page, line.width))
    return kept


def _tidy_line(raw: str) -> str:
    text = SPACES.sub(" ", raw).strip()
    text = INLINE_NAME_BREAK.sub(r"\1-\2", text)
    return INLINE_BREAK.sub(r"\1\2", text)


def _next_is_toc(lines: list[_Line | None], index: int) -> bool:
    for line in lines[index + 1 : index + 4]:
        if line is not None:
            return bool(TOC_LINE.match(line.text))
    return False


def _drop_empty_field_label(kept: list[_Line | None]) -> None:
    """A short label directly above the form boilerplate is an empty form field: drop it too."""
    for back in range(len(kept) - 1, max(-1, len(kept) - 4), -1):
        line = kept[back]
        if line is None:
            continue
        if len(line.text) <= 40 and not line.text.endswith(TERMINAL):
            del kept[back]
        return


def _furniture_key(raw: str) -> str:
    return re.sub(r"\d+", "#", SPACES.sub(" ", raw).strip().lower())


def _lines_by_page(lines: list[_Line | None]) -> dict[int | None, list[int]]:
    """Positions of the lines of each page, in order."""
    by_page: dict[int | None, list[int]] = {}
    for index, line in enumerate(lines):
        if line is not None:
            by_page.setdefault(line.page, []).append(index)
    return by_page


def _page_edges(lines: list[_Line | None]) -> set[int]:
    """Positions of the lines that open or close a page, where running headers and footers sit."""
    return {
        index
        for positions in _lines_by_page(lines).values()
        for index in positions[:EDGE_LINES] + positions[-EDGE_LINES:]
    }


def _furniture_shape(raw: str) -> bool:
    """Whether a line at a page's edge is shaped as furniture: a page counter after (or before) other
    text, or a document reference line."""
    return len(raw) <= FURNITURE_CHARS and bool(EDGE_COUNTER.search(raw) or REFERENCE.search(raw))


def _repeated_page_lines(lines: list[_Line | None]) -> set[str]:
    """Lines that open or close most pages (running headers and footers; on a document of two pages, lines
    that open or close both), as furniture keys. Numbers in them may differ from page to page only as a
    page counter does, each by as much as the page number: "Sida 1 (2)", "Sida 2 (2)" are one header,
    "område 10" and "område 17" opening two pages are text."""
    by_page = _lines_by_page(lines)
    if len(by_page) < 2:
        return set()
    seen: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for page, positions in by_page.items():
        edge = {lines[index].text for index in positions[:EDGE_LINES] + positions[-EDGE_LINES:]}
        for raw in edge:
            numbers = tuple(int(number) for number in re.findall(r"\d+", raw))
            seen.setdefault(_furniture_key(raw), []).append((page or 0, numbers))
    return {
        key
        for key, found in seen.items()
        if len(found) >= max(2, 0.5 * len(by_page))
        and len(key) <= FURNITURE_CHARS
        and not _is_sentence(key)
        and _numbers_count_pages(found)
    }


def _numbers_count_pages(found: list[tuple[int, tuple[int, ...]]]) -> bool:
    """Whether each number of a repeated line is the same on every page, or moves with the page number."""
    for place in range(len(found[0][1])):
        values = {numbers[place] for _, numbers in found if len(numbers) > place}
        offsets = {numbers[place] - page for page, numbers in found if len(numbers) > place}
        if len(values) > 1 and len(offsets) > 1:
            return False
    return True


def _is_sentence(text: str) -> bool:
    """A line that ends a sentence of several words is prose (a paragraph's last line repeated on every
    page, as forms have them), never a header or footer."""
    return text.endswith((".", "!", "?")) and len(text.split()) >= 4


def _hard_wrap_width(lines: list[_Line | None]) -> int | None:
    """The line width of text extracted with hard wraps (PDF), or None for one-paragraph-per-line text."""
    widths = [line.width for line in lines if line is not None]
    if len(widths) < 20:
        return None
    width = sorted(widths)[int(0.9 * (len(widths) - 1))]
    if width > 140:
        return None
    full = sum(1 for w in widths if w >= 0.6 * width)
    return width if full >= 0.5 * len(widths) else None


def _is_title_like(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 8
        and len(text) <= 60
        and text[0].isupper()
        and not text.endswith(TERMINAL + (",", "-"))
    )


@dataclass(slots=True)
class _Paragraph:
    parts: list[_Line]

    @property
    def last(self) -> str:
        return self.parts[-1].text

    @property
    def first(self) -> str:
        return self.parts[0].text


def _paragraphs(lines: list[_Line | None], wrap_width: int | None) -> list[_Paragraph | None]:
    """Group consecutive lines into paragraphs; None marks a gap (blank lines) between them."""
    out: list[_Paragraph | None] = []
    current: _Paragraph | None = None
    for index, line in enumerate(lines):
        if line is None:
            if current is not None:
                out.append(current)
                current = None
            if out and out[-1] is not None:
                out.append(None)
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        after = lines[index + 2] if index + 2 < len(lines) else None
        if current is None:
            current = _Paragraph([line])
        else:
            current.parts.append(line)
        if not _continues(current.first, line, following, after, wrap_width):
            out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return out


def _continues(
    first: str, line: _Line, following: _Line | None, after: _Line | None, wrap_width: int | None
) -> bool:
    """Whether the paragraph that began with ``first`` goes on from ``line`` to the next line."""
    if following is None:
        return False
    if line.text.endswith("-") and following.text[:1].isalnum():
        return True
    if wrap_width is None:
        return False
    if FORM_QUESTION.match(first) and line.text.endswith((".", "?")):
        return False
    if following.text[:1].islower():
        return True
    # A short title line between two paragraphs ("Järvavärdar") is a heading, even after a full line.
    if _is_title_like(following.text) and after is not None and after.text[:1].isupper():
        return False
    return line.width >= 0.7 * wrap_width and not _is_title_like(line.text)


def _merge_across_gaps(paragraphs: list[_Paragraph | None], wrap_width: int | None) -> list[_Paragraph]:
    """Join a paragraph cut by a page break or removed furniture ("möjligt och" ... "lämpligt försöker")."""
    merged: list[_Paragraph] = []
    gap = False
    for paragraph in paragraphs:
        if paragraph is None:
            gap = True
            continue
        if merged and gap and _cut_by_gap(merged[-1], paragraph, wrap_width):
            merged[-1].parts.extend(paragraph.parts)
        else:
            merged.append(paragraph)
        gap = False
    return merged


def _cut_by_gap(before: _Paragraph, after: _Paragraph, wrap_width: int | None) -> bool:
    tail, head = before.last, after.first
    if tail.endswith("-") and (head[:1].islower() or (tail[-2:-1].isdigit() and head[:1].isdigit())):
        return True
    # A sentence cannot end on "med" or "och": the next paragraph continues it, whatever its first letter.
    if tail.rsplit(" ", 1)[-1].lower() in DANGLING and len(before.parts[0].text) > 40:
        return True
    if not head[:1].islower() or tail.endswith(TERMINAL):
        return False
    long_enough = wrap_width is not None or len(" ".join(p.text for p in before.parts)) > 80
    return long_enough and not _is_title_like(tail)


def _raw_paragraphs(lines: list[_Line | None]) -> list[_Paragraph]:
    """Paragraphs at blank lines, their lines joined as they are (the uncleaned text, for comparison)."""
    paragraphs: list[_Paragraph] = []
    current: list[_Line] = []
    for line in [*lines, None]:
        if line is not None:
            current.append(_Line(line.text.strip(), line.page, line.width))
        elif current:
            paragraphs.append(_Paragraph(current))
            current = []
    return paragraphs


def _join(left: str, right: str) -> str:
    """Join two lines of one paragraph, undoing hyphenation at the break."""
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha():
        first_word = re.split(r"\W", right, maxsplit=1)[0].lower()
        if right[:1].islower() and first_word not in CONJUNCTIONS:
            return left[:-1] + right
        if right[:1].islower():
            return left + " " + right
        return left + right
    if left.endswith("-") and left[-2:-1].isdigit() and right[:1].isdigit():
        return left + right
    return left + " " + right


def _assemble(paragraphs: list[_Paragraph]) -> CleanText:
    text_parts: list[str] = []
    blocks: list[Block] = []
    page_starts: list[tuple[int | None, int]] = []
    offset = 0
    for paragraph in paragraphs:
        if text_parts:
            text_parts.append("\n\n")
            offset += 2
        start = offset
        joined = ""
        for line in paragraph.parts:
            # _join always keeps the right-hand line intact at the end, so its offset is known.
            joined = _join(joined, line.text) if joined else line.text
            line_start = start + len(joined) - len(line.text)
            if not page_starts or (line.page is not None and line.page != page_starts[-1][0]):
                page_starts.append((line.page, line_start))
        text_parts.append(joined)
        offset = start + len(joined)
        blocks.append(Block(joined, start, offset, paragraph.parts[0].page))
    text = "".join(text_parts)
    pages = tuple(
        PageSpan(number, begin, page_starts[i + 1][1] if i + 1 < len(page_starts) else len(text))
        for i, (number, begin) in enumerate(page_starts)
        if number is not None
    )
    return CleanText(text=text, blocks=tuple(blocks), pages=pages)
