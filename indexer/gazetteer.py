"""The district gazetteer: which of Stockholm's districts a text, a heading or a query is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_SEPARATOR = r"[\s\-–/]+"


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a text names a district or a place in one: offsets, the words and the districts meant."""

    start: int
    end: int
    text: str
    districts: tuple[str, ...]
    is_place: bool


@dataclass(frozen=True, slots=True)
class District:
    """A stadsdelsnämndsområde with the names that point to it."""

    name: str
    region: str
    variants: tuple[str, ...]
    places: tuple[str, ...]


class Gazetteer:
    """Finds districts by their names, spelling variants and the places inside them."""

    def __init__(self, districts: list[District], shared_places: dict[str, tuple[str, ...]]):
        self.districts = tuple(districts)
        self._by_name = {district.name: district for district in districts}
        targets: dict[str, tuple[str, ...]] = {}
        places: set[str] = set(map(_fold, shared_places))
        for district in districts:
            for name in (district.name, *district.variants, *district.places):
                targets[name] = (district.name,)
            places.update(_fold(place) for place in district.places)
        targets.update(shared_places)
        self._places = frozenset(places)
        # Longest names first, so that "Spånga-Tensta" wins over "Spånga" and "Hässelby gård" over "Hässelby".
        names = sorted(targets, key=len, reverse=True)
        self._targets = {_fold(name): found for name, found in targets.items()}
        alternation = "|".join(_pattern(name) for name in names)
        self._exact = re.compile(rf"(?<![\w-])({alternation})s?(?![\w])")
        self._folded = re.compile(rf"(?<![\w-])({alternation})s?(?![\w])", re.IGNORECASE)

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical district names, in gazetteer order."""
        return tuple(district.name for district in self.districts)

    def district(self, name: str) -> District | None:
        """The district with this canonical name."""
        return self._by_name.get(name)

    def find(self, text: str, ignore_case: bool = False) -> tuple[str, ...]:
        """The districts ``text`` names, directly or through a place, in order of first mention.

        Running text is matched case-sensitively (so "city" is not "City"); queries typed by people
        are matched with ``ignore_case``.
        """
        found: list[str] = []
        for mention in self.mentions(text, ignore_case):
            found.extend(district for district in mention.districts if district not in found)
        return tuple(found)

    def mentions(self, text: str, ignore_case: bool = False) -> list[Mention]:
        """Every name of a district or place in ``text``, in order (matched as ``find`` matches them)."""
        pattern = self._folded if ignore_case else self._exact
        mentions = []
        for match in pattern.finditer(text):
            key = _fold(match.group(1))
            mentions.append(Mention(match.start(1), match.end(1), match.group(1), self._targets.get(key, ()), key in self._places))
        return mentions

    def in_region(self, words: str) -> tuple[str, ...]:
        """The districts whose region holds every one of ``words`` ("ytterstad söder"), in gazetteer order."""
        wanted = words.lower().split()
        return tuple(d.name for d in self.districts if wanted and all(w in d.region.lower().split() for w in wanted))

    def canonical(self, name: str) -> str | None:
        """The canonical district for a name a user typed ("skarholmen" is not matched; "skärholmen" is)."""
        found = self.find(name.strip(), ignore_case=True)
        return found[0] if len(found) == 1 else None


def _fold(name: str) -> str:
    return re.sub(_SEPARATOR, " ", name.lower()).strip()


def _pattern(name: str) -> str:
    return _SEPARATOR.join(re.escape(part) for part in re.split(_SEPARATOR, name))


@lru_cache(maxsize=8)
def load_gazetteer(path: Path) -> Gazetteer:
    """Load the gazetteer YAML (see ``corpus/districts.yaml`` for its format)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    districts = [
        District(
            name=entry["name"],
            region=entry.get("region", ""),
            variants=tuple(entry.get("variants", ())),
            places=tuple(entry.get("places", ())),
        )
        for entry in data["districts"]
    ]
    shared = {place: tuple(owners) for place, owners in (data.get("shared_places") or {}).items()}
    return Gazetteer(districts, shared)
