"""What a question asks and what it constrains, read off its wording into one typed object.

Every answer form reads the same ``QuestionAnalysis``: what is asked (a number, a date, a place, an actor,
a definition, how or why, yes or no, a list of districts or of actors, a change over time) and the
constraints the answer must honour (districts, years, report versions, documents named, "A eller B"), in
Swedish or English. A question of several parts ("Hur många ... och vad ...?") is split into parts, each
analysed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from indexer.gazetteer import Gazetteer
from indexer.swedish import tokenize


# Words of a list question that name what is listed, not the topic (stems).
LIST_WORDS = frozenset(
    tokenize("stadsdel stadsdelar stadsdelsområde stadsdelsområden stadsdelsnämnd stadsdelsnämnder nämnd nämnder "
             "förvaltning förvaltningar område områden organisation organisationer distrikt arbetar arbeta jobbar "
             "aktör aktörer myndighet myndigheter samverkar samarbetar partner partners district districts borough "
             "boroughs area areas organisations organizations agencies actors work works working")
)
# Words that ask about change over time or name a kind of document, not the topic (stems).
CHANGE_WORDS = frozenset(
    tokenize("utvecklats utvecklat utveckling utvecklingen förändrats förändring ändrats ändrat nytt tid tiden "
             "mellan åren version versionen versioner tertial tertialen tertialrapport t1 t2 t3 rapport rapporten "
             "rapporterna lup lupen dokument dokumenten program programmet plan planen skillnad skillnaden jämfört "
             "senare senaste förra tidigare föregående nya vad något "
             "changed change report reports version versions later latest previous earlier new")
)


class Measure(str, Enum):
    """What a question's answer must hold beyond its kind, checked on the sentence quoted ("Hur ofta ...?"
    wants a rate, "Vad visade studien?" a result). The value names the gap when no sentence has it."""

    amount = "belopp"
    rate = "frekvens"
    share = "andel"
    result = "resultat"
    person = "person"


class Asked(str, Enum):
    """What kind of answer a question (or one part of it) wants."""

    number = "number"
    date = "date"
    place = "place"
    actor = "actor"
    definition = "definition"
    explanation = "explanation"
    yes_no = "yes_no"
    district_list = "district_list"
    actor_list = "actor_list"
    change = "change"
    fact = "fact"

    @property
    def is_list(self) -> bool:
        """Whether the answer is one line per district or actor."""
        return self in (Asked.district_list, Asked.actor_list)


def _words(*alternatives: str) -> str:
    return "|".join(alternatives)


# Nouns that name districts as the things listed ("vilka stadsdelar", "which districts").
DISTRICT_NOUNS = _words(
    r"stadsdel\w*", r"stadsdelsområde\w*", r"stadsdelsnämnd\w*", r"stadsdelsförvaltning\w*", r"distrikt\w*",
    r"områden\w*", r"område", r"delar av staden", r"districts?", r"boroughs?", r"areas?", r"parts of (?:the )?(?:city|stockholm)",
)
# Nouns that name actors as the things listed.
ACTOR_NOUNS = _words(
    r"organisation\w*", r"aktör\w*", r"myndighet\w*", r"förvaltning\w*", r"facknämnd\w*", r"nämnder", r"bolag\w*",
    r"företag\w*", r"förening\w*", r"partner\w*", r"samarbetspartner\w*", r"samverkanspartner\w*", r"parter\w*",
    r"instanser", r"aktörer", r"verksamheter", r"kontor\w*", r"institution\w*", r"församling\w*", r"samfund\w*",
    r"organi[sz]ations?", r"agenc(?:y|ies)", r"authorit(?:y|ies)", r"actors?", r"partners?", r"bodies", r"companies",
    r"departments?", r"associations?", r"stakeholders?", r"parish(?:es)?", r"congregations?",
)
# Words between "vilka" and the noun listed: adjectives ("vilka andra", "vilka nya"), never a verb
# ("Med vilka samverkar stadsdelsförvaltningen" lists actors, not districts).
FILLER = (r"(?:(?!(?:samverkar|samarbetar|arbetar|jobbar|har|hade|är|var|ska|kommer|deltog|deltar|finns|fanns|vill|"
          r"kan|works?|worked|has|have|is|are|was|were|does|do|did)\b)\w+\s+)")
LIST_START = r"(?:^|[,;:]\s*|\b(?:och|and)\s+)(?:i\s+|för\s+|på\s+|med\s+|in\s+|at\s+|with\s+)?"
DISTRICT_LIST = re.compile(rf"{LIST_START}(?:vilka|vilken|vilket|which|what)\s+{FILLER}{{0,2}}?(?:{DISTRICT_NOUNS})\b"
                           r"|\bvar\s+i\s+(?:staden|stockholm)\b|\bwhere\s+in\s+(?:the\s+city|stockholm)\b"
                           r"|\bi\s+vilka\s+(?:stadsdel\w*|områden)\b", re.I)
ACTOR_LIST = re.compile(
    rf"{LIST_START}(?:vilka|which|what)\s+{FILLER}{{0,2}}?(?:{ACTOR_NOUNS})\b"
    r"|\b(?:med|tillsammans med)\s+vilka\b|\bvilka\s+(?:samverkar|samarbetar|deltog|deltar|ingår|medverkar|"
    r"involveras|fanns på plats)\b|\bvilka\s+(?:ska|skall|kommer\s+att|är|var|har\s+varit)\s+(?:vara\s+)?med\b|"
    r"\bvarifrån\b|\bfrån\s+vilka\b|\bvem\s+(?:samverkar|samarbetar)\b.*\bmed\b|\bvilka\s+.*\bsamverka[rs]?\s+med\b"
    r"|\bwho\s+(?:\w+\s+){0,3}?(?:works?|worked|collaborates?|cooperates?|partners?|took part|takes part|participated|was there)\b"
    r"|\bwith\s+whom\b|\bwhich\s+(?:\w+\s+)?(?:took part|participated)\b",
    re.I,
)
# Words that ask how something changed, whatever else the question holds.
CHANGE_OVER_TIME = re.compile(
    r"\b(?:ändrats|ändrat|förändrats|förändrat|förändring(?:ar|en|arna)?|utvecklats|tillkommit|tillkom|vuxit|ökat|minskat|"
    r"har\s+hänt\s+sedan|changed|developed|evolved|över\s+tid|over\s+time|"
    # Worded anew, got better or calmer ("formulerats om", "blivit lugnare"), or anything since a point in time.
    r"formulerats\s+om|formulerat\s+om|omformulera\w*|förbättrats|försämrats|blivit\s+(?:\w+are|bättre|sämre|större|"
    r"mindre|fler|färre)|improved|worsened|become\s+\w+er|got\s+(?:better|worse)|"
    r"sedan\s+(?:t[1-3]|tertial\w*|(?:19|20)\d\d|förra|i\s+fjol|tidigare|förut|den\s+förra|första)|"
    r"since\s+(?:t[1-3]|the\s+(?:first|last|previous)|(?:19|20)\d\d|last))\b"
)
# Words of comparison: a change when the question names points in time, else a difference of two things.
COMPARISON = re.compile(r"\b(?:skillnad\w*|jämfört|jämförelse|jämför|difference|compared?|versus)\b")
VERSION_POINT = re.compile(r"\b(?:t[1-3]|tertial\w*|version\w*|senaste\s+rapport\w*|latest\s+report)\b")
TIME_POINTS = re.compile(
    r"\b(?:t[1-3]|tertial\w*|(?:19|20)\d\d|lup\w*|version\w*|rapport\w*|report\w*|tidigare\s+år|förra\s+året|i\s+fjol|"
    r"(?:previous|earlier)\s+years|last\s+year)\b",
    re.I,
)
NUMBER = re.compile(
    r"\b(?:hur\s+(?:många|mycket|stor|stort|stora|höga?|långa?|ofta|lång)|antal\w*|andel\w*|procent|hur många procent|"
    r"how\s+(?:many|much|often|large|big|high)|what\s+(?:share|percentage|proportion|number)|number of)\b",
    re.I,
)
# The questions that want each measure, in the order they are tried (an amount is also "hur mycket").
MEASURES = {
    Measure.amount: re.compile(
        r"\b(?:hur\s+mycket\s+(?:pengar|kostar|kostade|fick|får|har)|hur\s+mycket\s+\w*(?:medel|pengar|bidrag|stöd|anslag)\b|"
        r"kostar|kostade|belopp\w*|kostnad\w*|budget\w*|kronor|miljoner|how\s+much\s+(?:money|funding|did|does|was|is)|cost|"
        r"funding)\b",
        re.I,
    ),
    Measure.rate: re.compile(r"\b(?:hur\s+ofta|hur\s+många\s+gånger|how\s+often|how\s+many\s+times)\b", re.I),
    Measure.share: re.compile(r"\b(?:hur\s+stor\s+(?:andel|del)|hur\s+många\s+procent|what\s+(?:share|percentage|proportion))\b", re.I),
    Measure.result: re.compile(
        r"\b(?:vad\s+(?:visade|visar|blev|ledde|gav)|resultat\w*|utfall\w*|effekt(?:en|erna)?\s+av|what\s+did\s+.+\s+show|"
        r"what\s+(?:came|resulted)|results?\s+of|outcomes?)\b",
        re.I,
    ),
    Measure.person: re.compile(
        r"^\s*(?:och\s+)?(?:vem|vilka)\s+(?:är|var|blir|blev)\s+(?!med\b)(?:\w+\s+){0,2}?(?:\w*direktör\w*|\w*chef\w*|"
        r"kontaktperson\w*|ordförande\w*|ansvarig\w*|handläggare\w*|samordnare\w*|politiker\w*)\b|^\s*who\s+is\s+the\s+\w*"
        r"(?:director|head|chair|contact|manager|coordinator)",
        re.I,
    ),
}
DATE = re.compile(r"^\s*(?:och\s+)?(?:när\b|sedan\s+när|vilket\s+år|vilken\s+månad|vilket\s+datum|hur\s+länge|"
                  r"when\b|since\s+when|what\s+year|which\s+year|how\s+long)", re.I)
PLACE = re.compile(r"^\s*(?:och\s+)?(?:var\s+(?!i\s+staden)|vilken\s+plats|vilka\s+platser|vart\b|where\b|which\s+places?)", re.I)
ACTOR = re.compile(r"^\s*(?:och\s+)?(?:vem|vilken\s+(?:organisation|myndighet|förvaltning|aktör|nämnd|förening|bolag)|"
                   r"vilka\s+är\s+(?:med|ansvarig\w*)|who\b|which\s+(?:organi[sz]ation|agency|authority))", re.I)
DEFINITION = re.compile(r"^\s*(?:och\s+)?(?:vad\s+(?:är|innebär|betyder|menas\s+med|står\s+\w+\s+för)|vad\s+för\s+\w+\s+är|"
                        r"what\s+(?:is|are|does\s+\S+\s+mean)\b|what's\b)", re.I)
EXPLANATION = re.compile(r"^\s*(?:och\s+)?(?:hur\b(?!\s+(?:många|mycket|stor|stort|ofta|länge|lång))|varför|på\s+vilket\s+sätt|"
                         r"vad\s+(?:gör|görs|gjorde|gjordes|har\s+\w+\s+gjort|ska\s+\w+\s+göra)|how\b|why\b|"
                         r"what\s+(?:do|does|did|is\s+being|are|has|have)\b)", re.I)
YES_NO = re.compile(r"^\s*(?:har|hade|finns|fanns|får|fick|kan|kunde|ska|skall|är|var|gör|gjorde|arbetar|jobbar|"
                    r"samarbetar|samverkar|planerar|blev|blir|kommer|stämmer|does|do|did|is|are|was|were|has|have|"
                    r"had|can|could|will|would|should)\b", re.I)
# Where a question of several parts divides: a question mark with more after it, a semicolon, or "och",
# "samt" or "and" before a new question word.
QUESTION_WORD = r"(?:hur|vad|vilka|vilken|vilket|när|var|vem|varför|vart|how|what|which|when|where|who|why)\b"
PART_BREAK = re.compile(rf"\?\s+(?=\S)|;\s*|,?\s+(?:och|samt|and)\s+(?={QUESTION_WORD})", re.I)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|—|till|to|och|and)\s*((?:19|20)\d\d)\b", re.I)
TERTIAL = re.compile(r"\b(?:t([1-3])|tertial(?:rapport)?\s*([1-3])|(första|andra|tredje)\s+tertial\w*)\b", re.I)
ORDINAL = {"första": 1, "andra": 2, "tredje": 3}
# "A eller B" between two words of the topic (not "om ... eller inte").
ANY_OF = re.compile(r"\b\w{3,}\s+(?:eller|or)\s+(?!inte\b|not\b)\w{3,}", re.I)
# Words that name a kind of document, not a topic: they choose documents and must not pull in a document
# only because its title holds them.
DOCUMENT_WORDS = re.compile(
    r"\b(?:lup\w*|lokal\w*\s+utvecklingsprogram\w*|utvecklingsprogram\w*|utvecklingsplan\w*|tertialrapport\w*|"
    r"uppföljningsrapport\w*|näringslivsrapport\w*|rapport\w*|verksamhetsplan\w*|verksamhetsberättelse\w*|"
    r"program(?:met)?|planen|dokument\w*|report\w*|document\w*|local development (?:programme|program|plan)s?)\b",
    re.I,
)
# Regions of the city as people say them, by the gazetteer's region words.
REGIONS = {
    r"söderort\w*|söder om stan|southern suburbs?": "ytterstad söder",
    r"västerort\w*|western suburbs?": "ytterstad väst",
    r"innerstad\w*|inner city": "innerstad",
    r"ytterstad\w*|förort\w*|suburbs?|outer city": "ytterstad",
}
ENGLISH = frozenset("the what which who whom how many much is are was were do does did of in and to for with has have "
                    "there their when where why about any this that district districts city".split())
SWEDISH = frozenset("och är det som för med vad hur vilka vilken vilket i på av har finns om att en ett den de när var "
                    "vem varför stadsdel stadsdelar sig kan ska".split())


@dataclass(frozen=True, slots=True)
class Part:
    """One question of a question: its words and what it asks."""

    text: str
    asked: Asked
    wants: Measure | None = None


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """A question's parts and the constraints every answer form must honour."""

    text: str
    parts: tuple[Part, ...]
    language: str
    districts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    year_range: tuple[int, int] | None = None
    tertials: tuple[int, ...] = ()
    document_words: tuple[str, ...] = ()
    any_of: bool = False
    constraint_words: frozenset[str] = field(default_factory=frozenset)
    frame_words: frozenset[str] = field(default_factory=frozenset)

    @property
    def asked(self) -> Asked:
        """What the question (its first part) asks."""
        return self.parts[0].asked

    @property
    def is_multi_part(self) -> bool:
        """Whether the question asks several things at once."""
        return len(self.parts) > 1

    @property
    def english(self) -> bool:
        """Whether the question is written in English."""
        return self.language == "en"


def analyse(question: str, gazetteer: Gazetteer) -> QuestionAnalysis:
    """Read what ``question`` asks and what it constrains (see the module docstring)."""
    text = " ".join(question.split())
    language = language_of(text)
    mentions = gazetteer.mentions(text, ignore_case=True)
    districts: list[str] = []
    for mention in mentions:
        districts.extend(d for d in mention.districts if d not in districts)
    region = _region(text, gazetteer)
    places = tuple(m.text for m in mentions if m.is_place)
    years = tuple(sorted({int(y) for y in YEAR.findall(text)}))
    year_range = None
    if found := YEAR_RANGE.search(text):
        first, last = sorted((int(found.group(1)), int(found.group(2))))
        year_range = (first, last)
    tertials = tuple(sorted({int(m.group(1) or m.group(2) or ORDINAL[m.group(3).lower()]) for m in TERTIAL.finditer(text)}))
    document_words = tuple(m.group(0) for m in DOCUMENT_WORDS.finditer(text))
    named_districts = tuple(districts)
    parts = tuple(_part(piece, bool(named_districts)) for piece in split_parts(text))
    # A list of districts within a region ("vilka stadsdelar i söderort") is constrained to that region.
    constraint = named_districts or region
    constraint_words = frozenset(
        word.lower() for m in mentions if not m.is_place for word in re.findall(r"\w+", m.text)
    ) | frozenset(str(y) for y in years) | frozenset(
        word.lower() for m in TERTIAL.finditer(text) for word in re.findall(r"\w+", m.group(0))
    )
    return QuestionAnalysis(
        text=text,
        parts=parts,
        language=language,
        districts=constraint,
        places=places,
        years=years,
        year_range=year_range,
        tertials=tertials,
        document_words=document_words,
        any_of=bool(ANY_OF.search(text)),
        constraint_words=constraint_words,
        frame_words=frozenset(word for part in parts for word in _frame_words(part)),
    )


def split_parts(text: str) -> list[str]:
    """The questions of a question that asks several ("Hur många ... och hur många ...?"), in order."""
    pieces = [piece.strip(" ,?") for piece in PART_BREAK.split(text)]
    pieces = [piece for piece in pieces if len(piece.split()) >= 2]
    return pieces or [text.strip(" ?")]


def language_of(text: str) -> str:
    """``"en"`` when the question reads as English, else ``"sv"``."""
    words = re.findall(r"[a-zåäö']+", text.lower())
    english = sum(word in ENGLISH for word in words)
    swedish = sum(word in SWEDISH for word in words) + 2 * bool(re.search(r"[åäö]", text.lower()))
    return "en" if english >= 2 and english > swedish else "sv"


def _part(text: str, names_district: bool) -> Part:
    wants = next((measure for measure, pattern in MEASURES.items() if pattern.search(text)), None)
    return Part(text, _asked(text, names_district), wants)


def _asked(text: str, names_district: bool) -> Asked:
    if _asks_change(text):
        return Asked.change
    # What follows "vilka" says what is listed: "Vilka stadsdelar samverkar med trafikkontoret?" lists
    # districts although it names an actor; "Med vilka samverkar Farsta?" lists actors.
    if DISTRICT_LIST.search(text):
        # "Vilka områden är prioriterade i Farsta?" lists places inside the district it names.
        return Asked.place if names_district else Asked.district_list
    if ACTOR_LIST.search(text):
        return Asked.actor_list
    for asked, pattern in (
        (Asked.number, NUMBER),
        (Asked.date, DATE),
        (Asked.actor, ACTOR),
        (Asked.place, PLACE),
        (Asked.definition, DEFINITION),
        (Asked.explanation, EXPLANATION),
        (Asked.yes_no, YES_NO),
    ):
        if pattern.search(text):
            return asked
    return Asked.fact


def _frame_words(part: Part) -> tuple[str, ...]:
    """The verb right after what a list question lists ("Vilka stadsdelar *använder* medborgarbudget?"):
    it says how the districts are tied to the topic, and is not the topic."""
    if not part.asked.is_list:
        return ()
    found = (DISTRICT_LIST if part.asked is Asked.district_list else ACTOR_LIST).search(part.text)
    if found is None:
        return ()
    following = re.match(r"\s+([a-zåäö]+)\b", part.text[found.end() :])
    return (following.group(1),) if following and following.group(1) not in ("i", "på", "med", "för", "som") else ()


def _asks_change(text: str) -> bool:
    """Whether ``text`` asks how something changed (between versions or points in time), not only about
    something new ("Vilka nya papperskorgar ...") or a difference between two things."""
    lowered = text.lower()
    points = TIME_POINTS.findall(text)
    if CHANGE_OVER_TIME.search(lowered):
        return True
    if COMPARISON.search(lowered) and points:
        return True
    if re.search(r"\b(?:nytt|nya|new)\b", lowered) and VERSION_POINT.search(lowered):
        return True
    # Two years that are not one period ("2017-2022"), or two versions of a report, ask for both.
    years = set(YEAR.findall(YEAR_RANGE.sub(" ", text)))
    return len(years) >= 2 or len(TERTIAL.findall(text)) >= 2


def _region(text: str, gazetteer: Gazetteer) -> tuple[str, ...]:
    for pattern, region in REGIONS.items():
        if re.search(rf"\b(?:{pattern})\b", text, re.I):
            return gazetteer.in_region(region)
    return ()
