"""What a question asks for, read off its wording: a list, a number, a time; which districts and years it names.

The answerer uses this to refuse sentences that cannot be the answer: a question asking "hur många" is not
answered by a sentence without a number, nor a question about Skärholmen by a passage about Norrmalm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.gazetteer import Gazetteer

LIST_QUESTION = re.compile(
    r"^\s*(?:i\s+|för\s+|på\s+)?(?:vilka|vilken|vilket)\s+(?:\w+\s+){0,2}?"
    r"(stadsdel\w*|nämnd\w*|förvaltning\w*|områd\w*|organisation\w*|distrikt\w*)",
    re.IGNORECASE,
)
NUMBER_QUESTION = re.compile(
    r"\b(hur (många|mycket|stor|stort|höga?|långa?|ofta|många)|antal(et)?|andel(en)?|hur många procent)\b", re.I
)
# "Hur har arbetet med X utvecklats?", "Hur har X förändrats över tid?": the answer is a history.
DEVELOPMENT_QUESTION = re.compile(
    r"\bhur\s+har\b.*\b(utvecklats|förändrats|ändrats|vuxit|ökat|minskat)\b|\butveckling(en)?\s+(av|för|inom)\b.*\bmellan\b"
    r"|\böver\s+tid\b",
    re.IGNORECASE,
)
TIME_QUESTION = re.compile(r"^\s*(när\b|vilket år|vilken månad|vilket datum|hur länge)", re.I)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
NUMBER_WORDS = (
    "två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|femton|sexton|sjutton|arton|nitton|"
    "tjugo|trettio|fyrtio|femtio|sextio|sjuttio|åttio|nittio|hundra|tusen|miljon\\w*|miljard\\w*|hälften|"
    "dubbelt|tiotal|hundratal|tusental|dussin"
)
HAS_NUMBER = re.compile(rf"\d|\b({NUMBER_WORDS})\b", re.I)
HAS_TIME = re.compile(
    r"\b((?:19|20)\d\d|januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|"
    r"våren|sommaren|hösten|vintern|vår|höst|tertial\w*|kvartal\w*|vecka|veckor|månad\w*|år|dag\w*|"
    r"ht|vt|idag|nyligen|tidigare|senare)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    """The constraints a question puts on its answer."""

    is_list: bool
    wants_development: bool
    wants_number: bool
    wants_time: bool
    districts: tuple[str, ...]
    years: tuple[str, ...]

    def admits(self, sentence: str, districts: tuple[str, ...]) -> bool:
        """Whether ``sentence`` (from a passage about ``districts``) can answer a question of this profile."""
        if self.wants_number and not HAS_NUMBER.search(sentence):
            return False
        if self.wants_time and not HAS_TIME.search(sentence):
            return False
        if self.districts and not set(self.districts) & set(districts):
            return False
        named_years = set(YEAR.findall(sentence))
        return not (self.years and named_years and not named_years & set(self.years))


def profile(question: str, gazetteer: Gazetteer) -> QuestionProfile:
    """Read the constraints off a question's wording."""
    is_list = bool(LIST_QUESTION.search(question))
    return QuestionProfile(
        is_list=is_list,
        wants_development=not is_list and bool(DEVELOPMENT_QUESTION.search(question)),
        wants_number=not is_list and bool(NUMBER_QUESTION.search(question)),
        wants_time=not is_list and bool(TIME_QUESTION.search(question)),
        districts=gazetteer.find(question, ignore_case=True),
        years=tuple(YEAR.findall(question)),
    )
