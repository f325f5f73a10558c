"""Which districts a sentence credits with what it says, and how (har, kommer att, planerar, nämner).

A sentence credits the district of its section (else of its document). It credits another district only
when it names that district by its own name in running text and ties it to the content ("tillsammans med
Norrmalm och Östermalm", "så som man gjort i Skarpnäck"); a place named inside an organisation's name
("Lokalpolisområde City", "Fastighetsägare i Järva", "Kista Science City") credits nobody, and a place
named in passing in one district's report does not answer for the district the place lies in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.gazetteer import Gazetteer, Mention
from indexer.types import DocumentInfo, Involvement

# Checked in order: a plan outranks the present tense of "finns", a perfect tense outranks "ska".
INVOLVEMENT_PATTERNS: tuple[tuple[Involvement, re.Pattern[str]], ...] = (
    ("planerar", re.compile(r"\b(planer finns|planerar|planeras|avser|vill|undersöka möjlighet\w*|överväg\w*)\b", re.I)),
    ("har", re.compile(r"\b(har|hade) (\w+ ){0,3}?\w+(at|it|tt|lt|rt|nt|gt|vt|ts|ats|its)\b", re.I)),
    ("kommer att", re.compile(r"\b(ska|skall|kommer att)\b", re.I)),
    ("har", re.compile(r"\b(anställer|arbetar|finns|genomför|genomfördes|bedriver|driver|erbjuder)\b", re.I)),
)
DONE_BEFORE = re.compile(r"\b(?:som man gjort i|liksom i|såsom i|som i)\b", re.I)
# From the strongest involvement to the weakest.
INVOLVEMENT_ORDER: tuple[Involvement, ...] = ("har", "kommer att", "planerar", "nämner")
# Words around a place name that make it part of an organisation's or a network's name.
ORGANISATION_BEFORE = re.compile(
    r"(?:lokalpolisområde|polisområde|polisen i|fastighetsägare i|fastighetsägarna i|jobbtorg(?: unga)? i|"
    r"församlingar på|församlingar i|stadsmission\w* i|kista i samverkan|företagarförening\w* i|ungdomsmottagning\w* i)\s*$",
    re.I,
)
ORGANISATION_AFTER = re.compile(
    r"^s?\s+(?:science city|gallerian|företagargrupp\w*|fastighetsägare|i samverkan|stadsmission\w*|centrum\w*|"
    r"torg\w*|busstorg|gård\w*|festival\w*|kultursalong\w*|bibliotek\w*|skola\w*|skolan|verksamhetsområde\w*)\b",
    re.I,
)


def involvement(sentence: str) -> Involvement:
    """How a sentence says its subject is involved: har, kommer att, planerar, or else nämner."""
    for kind, pattern in INVOLVEMENT_PATTERNS:
        if pattern.search(sentence):
            return kind
    return "nämner"


def strongest(kinds: Iterable[Involvement]) -> Involvement:
    """The strongest of ``kinds`` (har, then kommer att, planerar, nämner); ``kinds`` must not be empty."""
    return min(kinds, key=INVOLVEMENT_ORDER.index)


def same_text(a: str, b: str) -> bool:
    """Whether two quotes are the same text, ignoring case and whitespace (two versions of one report)."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def own_districts(gazetteer: Gazetteer, section: str, document: DocumentInfo) -> tuple[str, ...]:
    """The districts a passage is about by where it stands: its section's heading, else its document."""
    return gazetteer.find(section) or document.districts
# A district's own committee or administration named after it: an organisation, when another district writes.
DISTRICT_BODY_AFTER = re.compile(r"^s?\s+stadsdels(?:nämnd|förvaltning)\w*", re.I)


def credited(gazetteer: Gazetteer, text: str, own: tuple[str, ...]) -> list[tuple[str, Involvement]]:
    """The districts ``text`` (a sentence standing under ``own`` districts) credits, with the involvement
    it shows for each (see the module docstring)."""
    shown = involvement(text)
    attributed = [(district, shown) for district in own]
    done = DONE_BEFORE.search(text)
    for mention in gazetteer.mentions(text):
        if not _credits(mention, text, own):
            continue
        for district in mention.districts:
            if district in (name for name, _ in attributed):
                continue
            after_done = done is not None and mention.start > done.start()
            attributed.append((district, "har" if after_done else shown))
    return attributed


def places_named(gazetteer: Gazetteer, text: str) -> set[str]:
    """The places ``text`` names in running text (folded), not inside an organisation's name."""
    return {
        m.text.lower()
        for m in gazetteer.mentions(text)
        if m.is_place and not ORGANISATION_BEFORE.search(text[: m.start]) and not ORGANISATION_AFTER.search(text[m.end :])
    }


def _credits(mention: Mention, text: str, own: tuple[str, ...]) -> bool:
    """Whether a name in a sentence under ``own`` districts credits the districts it points to."""
    if ORGANISATION_BEFORE.search(text[: mention.start]) or ORGANISATION_AFTER.search(text[mention.end :]):
        return False
    # Under a district of its own, a sentence speaks for other districts only by their names, not
    # through their places ("kyrkoherdarna från hela City, Gamla Stan och Västermalm" in Norrmalm's report),
    # and another district's committee is a partner ("samverka med ... Kungsholmens stadsdelsnämnd").
    if own and DISTRICT_BODY_AFTER.search(text[mention.end :]):
        return False
    return not (own and mention.is_place)
