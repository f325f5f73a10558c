"""The district gazetteer: which of Stockholm's districts a text, a heading or a query is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_SEPARATOR = r"[\s\-–/]+"


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
        for district in districts:
            for name in (district.name, *district.variants, *district.places):
                targets[name] = (district.name,)
        targets.update(shared_places)
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
        pattern = self._folded if ignore_case else self._exact
        found: list[str] = []
        for match in pattern.finditer(text):
            for district in self._targets.get(_fold(match.group(1)), ()):
                if district not in found:
                    found.append(district)
        return tuple(found)

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
