"""Actors named in a sentence: authorities, city departments, companies, associations and networks.

A list question about actors ("Vilka organisationer var med ...?", "Vem samverkar Skärholmen med?") is
answered with the actors its evidence names, each cited. An actor is found by the shape of its name, not
by a list of known names: a word ending like an organisation ("-förvaltningen", "-kontoret", "-nämnden",
"polisen", "föreningar"), a run of capitalised words that is not a sentence's first word alone ("Svenska
Bostäder", "Fastighetsägare i Järva", "Kulturhuset Stadsteatern"), or an abbreviation in a list of them
("SBR", "BVC"), and the items of an enumeration ("Socialnämnden, utbildningsnämnden och SISAB") whose other
items are actors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# Word endings (and whole words) that name an organisation, an authority or a group of actors.
ORGANISATION_WORD = re.compile(
    r"(?:förvaltning(?:en|ar|arna)?|kontor(?:et)?|nämnd(?:en|er|erna)?|myndighet(?:en|er|erna)?|polis(?:en)?|"
    r"styrelse(?:n|r|rna)?|kommission(?:en)?|råd(?:et)?|bolag(?:et|en)?|bostäder|förening(?:en|ar|arna)?|"
    r"församling(?:en|ar|arna)?|region(?:en)?|landsting(?:et)?|kommun(?:en|er|erna)?|verket|kass(?:an|or|orna)|förmedling(?:en)?|"
    r"mission(?:en)?|jour(?:en)?|team(?:et)?|brandförsvar(?:et)?|sjukvård|vården|huset|polisområde|"
    r"civilsamhälle(?:t)?|näringsliv(?:et)?|fastighetsägar(?:e|na)|bostadsbolag(?:en)?|samfund(?:en)?|"
    r"skola|skolor(?:na)?|universitet(?:et)?|stiftelse(?:n)?|förbund(?:et)?|organisation(?:en|er|erna)?|"
    r"företag(?:en)?|företagare|aktörer|akademi(?:n)?|ordningsvakter|fältassistenter|uppsökarna|"
    r"stadsteatern|bibliotek(?:et)?|biblioteket|centrum|elevhälsa(?:n)?|bvc|mvc|primärvården|enhet(?:en|er|erna))$",
    re.I,
)
CAPITALISED = r"(?:[A-ZÅÄÖ][\wåäöéÅÄÖ&-]*|AB)"
# A name: capitalised words, allowing "i", "för", "på" between them ("Fastighetsägare i Järva"), or an
# authority's name with what it is for ("Inspektionen för vård och omsorg").
NAME = re.compile(
    rf"(?:Inspektionen|Myndigheten|Delegationen|Kommissionen|Rådet|Förbundet|Föreningen|Stiftelsen|Centrum)\s+för\s+"
    rf"[\wåäö-]+(?:\s+(?:och|till)\s+[a-zåäö-]+)*|{CAPITALISED}(?:\s+(?:i|för|på|av)\s+{CAPITALISED}|\s+{CAPITALISED})*"
)
# Plural nouns that are actors in an enumeration ("polisen, Fryshuset, samfund och föreningar") but name
# no one by themselves in running text.
GENERIC = re.compile(r"^(?:aktörer|organisationer|föreningar|myndigheter|förvaltningar|nämnder|bolag|företag|företagare|"
                     r"fastighetsägare|fastighetsägarna|samfund|församlingar|skolor|skolorna|verksamheter)$", re.I)
ABBREVIATION = re.compile(r"\b[A-ZÅÄÖ]{2,6}\b")
ITEM_SPLIT = re.compile(r"\s*(?:,|;|\(|\)|\bsamt\b|\boch\b|\bsåväl\b|\bsom\b(?= \w+ (?:och|samt)))\s*")
# What an enumeration item may begin with before the actor itself.
ITEM_LEAD = re.compile(
    r"^(?:.*?\b(?:med|tillsammans med|från|av|hos|bland andra|bland annat|bl\.\s?a\.|t\.ex\.|till exempel|"
    r"såsom|exempelvis|deltagare|aktörer|är|var|fanns även|fanns|även|både|dels|andra|ett flertal|flera|"
    r"representanter från|representanter för|intentioner att samverka med:?)\s+)",
    re.I,
)
ITEM_TAIL = re.compile(
    r"\s+(?:för att|som|i syfte|vilket|där|när|med syfte|kring|om|avseende|utifrån|inom ramen)\b.*$|[.:!?]+$", re.I
)
# The writer itself ("förvaltningen", "stadsdelsnämnden") and words that are never actors by themselves.
SELF = re.compile(r"^(?:stadsdels)?(?:förvaltning|nämnd|förvaltningen|nämnden|stadsdelsförvaltningen|stadsdelsnämnden)s?$", re.I)
NOT_ACTORS = frozenset(
    "vi de den det dessa denna man staden stockholm stockholms stad sverige invånare invånarna boende medborgare "
    "medborgarna projektet programmet arbetet syftet målet planen verksamheten förvaltningens nämndens näringslivet "
    "civilsamhället".split()
)
# Words that make a phrase a clause ("Stadsdelsnämnden ska anställa ..."), not a name.
VERBS = frozenset("ska skall har hade är var kommer kan kunde vill bör måste får fick blir blev genomför arbetar "
                  "startade samverkar deltar deltog".split())
STOP_LEADS = frozenset(
    "i på under för med och samt av till från om vid genom enligt efter inom hos mot det den detta dessa en ett "
    "där när som att inte även också bland andra övriga flera alla samtliga".split()
)


@dataclass(frozen=True, slots=True)
class ActorMention:
    """An actor named in a sentence: its name as written and where it stands."""

    name: str
    start: int
    end: int


def actors_in(text: str) -> list[ActorMention]:
    """The actors ``text`` names, in order, each once (see the module docstring)."""
    found: list[ActorMention] = []
    seen: set[str] = set()
    for mention in sorted(_names(text) + _enumerated(text), key=lambda m: (m.start, -(m.end - m.start))):
        key = actor_key(mention.name)
        if not key or key in seen or any(m.start <= mention.start and mention.end <= m.end for m in found):
            continue
        seen.add(key)
        found.append(mention)
    return found


def actor_key(name: str) -> str:
    """The form two names of one actor share: case, "AB", a genitive s and surrounding punctuation folded."""
    key = re.sub(r"\bab\b", " ", name.lower())
    key = " ".join(re.findall(r"[\wåäöé]+", key))
    return key[:-1] if key.endswith("s") and len(key) > 4 and not key.endswith(("ss", "ens", "ers")) else key


class ActorKind(str, Enum):
    """The kind of actor a list question asks for by its noun, when it asks for one kind only."""

    company = "företag"
    public_body = "myndighet"
    congregation = "församling"


# "Vilka bolag ...", "Vilka andra myndigheter ...", "Which companies ...": a kind noun right after the
# question word, and not one of two ("Vilka företag och organisationer").
ASKED_KINDS = {
    ActorKind.company: r"bolag(?:en)?|företag(?:en)?|bostadsbolag(?:en)?|companies|businesses|firms",
    ActorKind.public_body: r"myndighet(?:er|erna)|nämnd(?:er|erna)|förvaltning(?:ar|arna)|authorities|agencies|"
    r"(?:city\s+)?departments",
    ActorKind.congregation: r"församling(?:ar|arna)?|samfund(?:en)?|kyrkor(?:na)?|parish(?:es)?|congregations?|churches",
}
KIND_AFTER = r"\b(?:vilka|vilken|vilket|which|what)\s+(?:andra\s+|other\s+|av\s+de\s+)?(?:{})\b(?!\s+(?:och|eller|samt|and|or)\b)"
# A public body by its name's last word ("Utbildningsnämnden", "Region Stockholm", "Förvaltningsledningens stab").
PUBLIC_BODY = re.compile(
    r"(?:förvaltning|kontor|nämnd|myndighet|polis|kommun|verk|kassa|förmedling|styrelse|landsting|inspektion|"
    r"polisområde|stab|enhet|brandförsvar|råd)(?:en|et|er|erna|ar|arna|n|na)?$|"
    r"^(?:region|polisen|inspektionen|förvaltning\w*|stadsdels\w*)\b",
    re.I,
)


# A parish, congregation or church by its name ("Adolf Fredriks församling", "Klara kyrka").
CONGREGATION = re.compile(r"församling|samfund|kyrk", re.I)


def asked_kind(question: str) -> ActorKind | None:
    """The one kind of actor ``question`` asks for ("Vilka bolag ..."), or None for actors of any kind."""
    kinds = [kind for kind, nouns in ASKED_KINDS.items() if re.search(KIND_AFTER.format(nouns), question, re.I)]
    return kinds[0] if len(kinds) == 1 else None


def of_kind(name: str, kind: ActorKind) -> bool:
    """Whether the actor ``name`` can be of ``kind``: a company is no public body and no common noun
    ("organisation"); a public body and a congregation are named like one."""
    if kind is ActorKind.congregation:
        return bool(CONGREGATION.search(name))
    public = bool(PUBLIC_BODY.search(name.strip()))
    if kind is ActorKind.public_body:
        return public
    return not public and not (name.islower() and " " not in name.strip())


# Words that may join the parts of a name ("Fastighetsägare i Järva", "Inspektionen för vård och omsorg").
NAME_JOINS = frozenset("i för på av och till vård omsorg".split())
# Of those, the ones a name cannot end with ("Fastighetsägare i" is cut short, "... vård och omsorg" is not).
JOINING = NAME_JOINS - {"vård", "omsorg"}
# Words that end like an organisation but are places ("stadsdelsområdet" ends in "rådet"), and the
# endings of streets, squares, parks and stations ("Drottninggatan", "Sunnanbyplan", "Centralstationen").
PLACE_WORD = re.compile(
    r"(?:områd(?:e|et|en|ena)|gatan|vägen|gången|gränd|plan|parken|lunden|viadukten|stråket|trappan|"
    r"dalen|faret|backen|bron|station(?:en)?|terminal(?:en)?|platsen)$",
    re.I,
)
# Where a word is capitalised by its place, not because it is a name: a sentence's start, after an opening
# quote or emphasis mark (a title: "”Visa att du bryr dig!”"), after a list's dash or bullet.
FIRST_POSITION = re.compile(r"(?:^|[.!?:]|[”“\"'*«»]|(?:^|\s)[-–•])\s*$")


def is_actor(phrase: str, first_word: bool = False) -> bool:
    """Whether a phrase reads as an actor's name by its shape; a sentence's ``first_word`` is capitalised
    anyway and does not make a name by that alone."""
    words = phrase.split()
    if not words or len(words) > 8:
        return False
    lowered = [w.lower().strip(".,") for w in words]
    if all(w in NOT_ACTORS or w in STOP_LEADS for w in lowered) or any(w in VERBS for w in lowered):
        return False
    if SELF.match(phrase.strip()):
        return False
    last = lowered[-1]
    if PLACE_WORD.search(last):
        return False
    if ORGANISATION_WORD.search(last):
        return True
    # An organisation word first is a name only with a name after it ("Kulturhuset Stadsteatern",
    # "Förvaltningen för ..."), not with a verb ("Förvaltningen tittar").
    for i, word in enumerate(lowered[:2]):
        if ORGANISATION_WORD.search(word) and not PLACE_WORD.search(word):
            return _joined_name(words[i + 1 :])
    capitalised = bool(re.match(CAPITALISED, words[0])) and words[0].lower() not in STOP_LEADS
    # A name is capitalised words and the small words that join them; a lower-case word of any other kind
    # makes it a clause ("Klara Kyrka initierats"), a letter-and-digit code is no name ("Q56or").
    named = _joined_name(words[1:]) and lowered[-1] not in JOINING
    coded = any(re.search(r"\d", w) and not w.isupper() for w in words)
    return capitalised and named and not coded and (not first_word or len(words) > 1 and bool(re.match(CAPITALISED, words[1])))


def _joined_name(words: list[str]) -> bool:
    """Whether ``words`` are capitalised words and the small words that join the parts of a name."""
    return all(re.match(CAPITALISED, w) or w.lower() in NAME_JOINS for w in words)


def _names(text: str) -> list[ActorMention]:
    """Capitalised names and organisation words of ``text``."""
    mentions = []
    for match in NAME.finditer(text):
        name = match.group(0)
        start = match.start()
        # A sentence's first word is capitalised anyway: it is a name only with more words, or when
        # it ends like an organisation ("Polisen", "Jernhusen" is caught by the enumeration).
        first_word = bool(FIRST_POSITION.search(text[:start]))
        if first_word and " " not in name and not ORGANISATION_WORD.search(name):
            continue
        if first_word and name.split()[0].lower() in STOP_LEADS:
            rest = name.split(None, 1)
            if len(rest) < 2:
                continue
            start += len(name) - len(rest[1])
            name = rest[1]
        if name.lower() in NOT_ACTORS or not is_actor(name, bool(first_word)):
            continue
        mentions.append(ActorMention(name, start, start + len(name)))
    for match in re.finditer(r"[\wåäöÅÄÖ-]+", text):
        word = match.group(0)
        if ORGANISATION_WORD.search(word) and not PLACE_WORD.search(word) and len(word) > 6 and not SELF.match(word) and word.lower() not in NOT_ACTORS:
            if GENERIC.match(word) or re.fullmatch(r"(?:näringsliv(?:et)?|civilsamhället|bibliotek(?:et)?|centrum)", word, re.I):
                continue
            mentions.append(ActorMention(word, match.start(), match.end()))
    return mentions


def _enumerated(text: str) -> list[ActorMention]:
    """Items of the enumerations in ``text`` when most of them are actors (abbreviations included)."""
    mentions = []
    for clause in re.finditer(r"[^.;:!?]+", text):
        body = clause.group(0)
        pieces = [p for p in ITEM_SPLIT.split(body) if p.strip()]
        if len(pieces) < 3:
            continue
        items = []
        cursor = clause.start()
        for piece in pieces:
            at = text.find(piece, cursor)
            cursor = at + len(piece)
            phrase = _lead_stripped(piece.strip())
            first_word = phrase == piece.strip() and FIRST_POSITION.search(text[:at]) is not None
            phrase = ITEM_TAIL.sub("", phrase)
            if not phrase:
                continue
            items.append((phrase, at + piece.find(phrase), first_word))
        actors = [(p, o) for p, o, first in items if is_actor(p, first) or ABBREVIATION.fullmatch(p)]
        if len(actors) >= max(2, (len(items) + 1) // 2):
            mentions.extend(ActorMention(p, o, o + len(p)) for p, o in actors)
    return mentions


def _lead_stripped(piece: str) -> str:
    """An enumeration item without the words that introduce it ("bland andra", "representanter från")."""
    while (stripped := ITEM_LEAD.sub("", piece, count=1)) != piece:
        piece = stripped
    return piece
