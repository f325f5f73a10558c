"""Document structure: headings and sections, and the metadata a reader looks for on the first page."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .cleaning import FORM_QUESTION, TERMINAL, Block
from .gazetteer import Gazetteer
from .types import Section

NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
UPDATE_HEADING = re.compile(r"^(?:uppdatering\s+t\d|t\d\s+uppdatering)$", re.IGNORECASE)
YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")
TERTIAL = re.compile(r"\btertial(?:rapport)?\s*(\d)\b", re.IGNORECASE)
ORGANISATION = re.compile(
    r"\b([A-ZÅÄÖ][\wåäö]+(?:-[A-ZÅÄÖ][\wåäö]+)*s?\s+stadsdels(?:nämnd|förvaltning))\b"
    r"|\b([A-ZÅÄÖ][\wåäö]+förvaltning(?:en)?)s?\b"
)
DOC_TYPES = (
    ("tertialrapport", re.compile(r"tertialrapport", re.IGNORECASE)),
    ("verksamhetsberättelse", re.compile(r"verksamhetsberättelse", re.IGNORECASE)),
    ("uppföljningsrapport", re.compile(r"uppföljningsrapport", re.IGNORECASE)),
    ("LUP", re.compile(r"lokalt utvecklingsprogram|\bLUP\b", re.IGNORECASE)),
    ("plan", re.compile(r"\bplan(?:er)?\b|utvecklingsplan", re.IGNORECASE)),
)

# Heading levels: numbered headings by depth (1, 2, ...); then form questions, titles and T2 updates below.
QUESTION_LEVEL, TITLE_LEVEL, UPDATE_LEVEL = 10, 20, 30


@dataclass(frozen=True, slots=True)
class Heading:
    """A block recognised as a heading, with its nesting level."""

    block: int
    text: str
    level: int


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the first page says about a document."""

    title: str
    organisation: str | None
    doc_type: str
    year: int | None
    period: str | None


def find_headings(blocks: tuple[Block, ...]) -> list[Heading]:
    """Classify blocks as headings: numbered, form questions, short titles and "Uppdatering T2" lines."""
    candidates = [_candidate_level(block.text) for block in blocks]
    headings: list[Heading] = []
    chapter = 0
    for index, level in enumerate(candidates):
        if level is None:
            continue
        if level < QUESTION_LEVEL:
            if _in_numbered_list(blocks, candidates, index):
                continue
            if level == 1:
                # Chapters count upwards; a lower number inside a chapter is a list item.
                number = _last_number(NUMBERED.match(blocks[index].text).group(1))
                if number <= chapter:
                    continue
                chapter = number
        if level == TITLE_LEVEL and not _followed_by_body(blocks, candidates, index):
            continue
        headings.append(Heading(index, blocks[index].text, level))
    return headings


def _candidate_level(text: str) -> int | None:
    numbered = NUMBERED.match(text)
    if numbered and len(text) <= 90 and numbered.group(2)[:1].isupper() and not text.endswith((".", ",", ";")):
        return numbered.group(1).count(".") + 1
    if UPDATE_HEADING.match(text):
        return UPDATE_LEVEL
    if FORM_QUESTION.match(text) and len(text) <= 300 and (text.endswith("?") or len(text) <= 200):
        return QUESTION_LEVEL
    words = text.split()
    if (
        len(words) <= 10
        and len(text) <= 80
        and text[:1].isupper()
        and not text.endswith(TERMINAL + (",", "-"))
        and not text.startswith(("-", "•", "–"))
        and "@" not in text
    ):
        return TITLE_LEVEL
    return None


def _in_numbered_list(blocks: tuple[Block, ...], candidates: list[int | None], index: int) -> bool:
    """A numbered line next to its numbered sibling (1., 2., 3. in a row) is a list item, not a heading."""
    number = NUMBERED.match(blocks[index].text).group(1)
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(blocks) and candidates[neighbour] == candidates[index]:
            other = NUMBERED.match(blocks[neighbour].text).group(1)
            if abs(_last_number(other) - _last_number(number)) == 1 and _parent(other) == _parent(number):
                return True
    return False


def _last_number(number: str) -> int:
    return int(number.rsplit(".", 1)[-1])


def _parent(number: str) -> str:
    return number.rsplit(".", 1)[0] if "." in number else ""


def _followed_by_body(blocks: tuple[Block, ...], candidates: list[int | None], index: int) -> bool:
    """A short title counts only when prose follows it; a run of short lines is a list or a form."""
    if index + 1 >= len(blocks) or candidates[index + 1] is not None:
        return False
    following = blocks[index + 1].text
    return len(following.split()) >= 5 or following.endswith(TERMINAL)


def build_sections(
    blocks: tuple[Block, ...], headings: list[Heading], title: str, gazetteer: Gazetteer
) -> tuple[Section, ...]:
    """Sections from headings: each runs from after its heading to the next heading of any level.

    Text before the first heading forms a section headed by the document title.
    """
    sections: list[Section] = []
    stack: list[Heading] = []
    first = headings[0].block if headings else len(blocks)
    if first > 0:
        start, end = blocks[0].start, blocks[first - 1].end
        sections.append(Section((title,), start, end, gazetteer.find(title)))
    for position, heading in enumerate(headings):
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        path = tuple(h.text for h in stack)
        next_block = headings[position + 1].block if position + 1 < len(headings) else len(blocks)
        body = blocks[heading.block + 1 : next_block]
        start = body[0].start if body else blocks[heading.block].end
        end = body[-1].end if body else blocks[heading.block].end
        sections.append(Section(path, start, end, _path_districts(path, gazetteer)))
    return tuple(sections)


def _path_districts(path: tuple[str, ...], gazetteer: Gazetteer) -> tuple[str, ...]:
    """Districts named by the headings above a passage, the nearest heading first."""
    found: list[str] = []
    for heading in reversed(path):
        for district in gazetteer.find(heading):
            if district not in found:
                found.append(district)
    return tuple(found)


def extract_metadata(blocks: tuple[Block, ...], fallback_title: str, extra: dict[str, str]) -> Metadata:
    """Title, organisation, document type and year or period from the opening blocks."""
    opening = [block.text for block in blocks[:40]]
    title = _title(opening, extra.get("title"), fallback_title)
    head_text = " ".join(opening)
    organisation = _organisation(opening, title)
    doc_type = next((name for name, pattern in DOC_TYPES if pattern.search(title)), None)
    doc_type = doc_type or next((name for name, pattern in DOC_TYPES if pattern.search(head_text)), "dokument")
    year, period = _period(title, opening, extra.get("created", ""))
    return Metadata(title=title, organisation=organisation, doc_type=doc_type, year=year, period=period)


def _title(opening: list[str], meta_title: str | None, fallback: str) -> str:
    if meta_title and meta_title.strip():
        return meta_title.strip()
    for text in opening[:5]:
        if 3 <= len(text) <= 150 and not text.endswith("."):
            return text.capitalize() if text.isupper() else text
    return fallback


def _organisation(opening: list[str], title: str) -> str | None:
    for label, value in zip(opening, opening[1:]):
        if label.strip().lower() in ("nämnd", "förvaltning", "nämnd/förvaltning") and len(value) < 80:
            return value.strip()
    for text in (title, *opening[:10]):
        match = ORGANISATION.search(text)
        if match:
            name = match.group(1) or match.group(2)
            if name.endswith("förvaltningens"):
                name = name[:-1]
            if name.endswith("förvaltning") and match.group(2):
                name += "en"
            return name
        lup = re.search(r"för ([A-ZÅÄÖ][\wåäö-]+) stadsdelsnämndsområde", text)
        if lup:
            return f"{lup.group(1)} stadsdelsnämnd"
    return None


def _period(title: str, opening: list[str], created: str) -> tuple[int | None, str | None]:
    """Year and period: a range near the top ("2017-2022"), else the first year there, else the
    commonest year of the opening text; a tertial in the title makes the period "T2 2022"."""
    heading = " ".join([title, *opening[:3]])
    span = YEAR_RANGE.search(heading)
    if span:
        return int(span.group(1)), f"{span.group(1)}–{span.group(2)}"
    years = YEAR.findall(heading)
    if not years:
        common = Counter(YEAR.findall(" ".join(opening))).most_common(1)
        years = [common[0][0]] if common else YEAR.findall(created)[:1]
    if not years:
        return None, None
    tertial = TERTIAL.search(title)
    return int(years[0]), f"T{tertial.group(1)} {years[0]}" if tertial else years[0]
