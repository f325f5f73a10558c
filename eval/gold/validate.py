"""Validate eval/gold/questions.jsonl and eval/gold/research.jsonl against the documents in corpus/.

Run from anywhere:  python3 eval/gold/validate.py  [--research] [path/to/file.jsonl]
Without a path both files are checked, each by its own rules; a path is checked by the rules of
questions.jsonl, or of research.jsonl with --research. Exits non-zero and prints every problem when a
file breaks a rule in SCHEMA.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

GOLD_DIR = Path(__file__).resolve().parent
ROOT = GOLD_DIR.parent.parent
DOCS_DIR = ROOT / "corpus"

CANONICAL_DISTRICTS = (
    "Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Bromma", "Kungsholmen", "Norrmalm",
    "Östermalm", "Södermalm", "Enskede-Årsta-Vantör", "Skarpnäck", "Farsta", "Älvsjö",
    "Hägersten-Liljeholmen", "Skärholmen",
)
TYPES = ("fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable",
         "actor_list", "multi_part", "over_time", "near_miss", "english")
MINIMUM = {"fact": 20, "district": 15, "list": 12, "paraphrase": 12, "spelling": 10, "version": 8,
           "unanswerable": 12, "actor_list": 8, "multi_part": 8, "over_time": 8, "near_miss": 8, "english": 8}
REQUIRED = ("id", "split", "type", "question", "answerable", "evidence")
OPTIONAL = ("districts", "answer_contains", "notes")
GOLD_OPTIONAL = (*OPTIONAL, "actors", "missing")
# Key facts a right answer must state, at least this many (multi_part: one per part at least; english:
# unless it lists districts, when it is scored as a list).
FACTS_MINIMUM = {"multi_part": 2, "over_time": 1, "english": 1}
EVIDENCE_MINIMUM = {"multi_part": 2, "over_time": 2}  # an item per part, an item per time point
BOILERPLATE = "Klicka här för att ange text."
VERSION_DOC = "rinkeby-kista-naringsliv-2022-t2"
TOC_LINE = re.compile(r"\t\d+\s*$")  # "3.2 Spånga-Tensta<TAB>7"


class Rules(NamedTuple):
    """What one gold file may hold: its types and their minimum counts, its keys, the type that lists
    districts (and the types that may), questions it must have, the types that need years, and the
    key facts and evidence items some types need at least. (A NamedTuple, not a dataclass: tests load
    this script by path, outside ``sys.modules``, where dataclasses cannot resolve types.)"""

    file: str
    types: tuple[str, ...]
    minimum: dict[str, int]
    optional: tuple[str, ...]
    district_type: str
    required_questions: tuple[tuple[str, str], ...] = ()  # (type, a word its question must hold)
    year_types: tuple[str, ...] = ()  # types that need year_from and year_to
    district_optional: tuple[str, ...] = ()  # types that may list districts (then scored as lists too)
    facts_minimum: dict[str, int] = {}
    evidence_minimum: dict[str, int] = {}


GOLD = Rules(
    "questions.jsonl",
    TYPES,
    MINIMUM,
    GOLD_OPTIONAL,
    "list",
    (("list", "medborgarvärdar"),),
    district_optional=("english",),
    facts_minimum=FACTS_MINIMUM,
    evidence_minimum=EVIDENCE_MINIMUM,
)
RESEARCH = Rules(
    "research.jsonl",
    ("coverage", "version", "time"),
    {"coverage": 6, "version": 5, "time": 5},
    (*OPTIONAL, "year_from", "year_to"),
    "coverage",
    year_types=("time",),
)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def load_docs() -> dict[str, tuple[str, list[str]]]:
    docs = {}
    for path in sorted(DOCS_DIR.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        docs[path.stem] = (collapse(raw), raw.splitlines())
    return docs


def check_snippet(doc_id: str, snippet: str, docs, where: str) -> list[str]:
    problems = []
    if doc_id not in docs:
        return [f"{where}: unknown doc_id {doc_id!r}"]
    collapsed, lines = docs[doc_id]
    words = snippet.split()
    if not 6 <= len(words) <= 20:
        problems.append(f"{where}: snippet has {len(words)} words (need 6-20): {snippet!r}")
    if snippet != snippet.strip() or "  " in snippet or "\n" in snippet or "\t" in snippet:
        problems.append(f"{where}: snippet has leading/trailing/double whitespace: {snippet!r}")
    if BOILERPLATE.lower() in snippet.lower():
        problems.append(f"{where}: snippet contains form boilerplate")
    if collapse(snippet) not in collapsed:
        problems.append(f"{where}: snippet not found in whitespace-collapsed {doc_id}: {snippet!r}")
    hits = [(n, line) for n, line in enumerate(lines, start=1) if snippet in line]
    if not hits:
        problems.append(f"{where}: snippet not within a single raw line of {doc_id}: {snippet!r}")
    elif all(TOC_LINE.search(line) for _, line in hits):
        problems.append(f"{where}: snippet only occurs on table-of-contents lines: {snippet!r}")
    for _, line in hits:
        # A word cut by a line-end hyphen: the snippet would end exactly where the line ends in "-".
        if words and words[-1].endswith("-") and line.rstrip().endswith(snippet):
            problems.append(f"{where}: snippet ends in a line-end hyphenated word: {snippet!r}")
    return problems


def validate(path: Path, rules: Rules = GOLD) -> tuple[list[str], list[dict]]:
    docs = load_docs()
    problems: list[str] = []
    items: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            problems.append(f"line {number}: empty line")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        items.append(item)
        qid = item.get("id", f"line {number}")
        for key in REQUIRED:
            if key not in item:
                problems.append(f"{qid}: missing {key}")
        for key in item:
            if key not in REQUIRED + rules.optional:
                problems.append(f"{qid}: unknown key {key}")
        if not re.fullmatch(r"q\d{3}", str(qid)):
            problems.append(f"{qid}: id must look like q001")
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        qtype = item.get("type")
        if qtype not in rules.types:
            problems.append(f"{qid}: bad type {qtype!r}")
        if item.get("split") not in ("dev", "test"):
            problems.append(f"{qid}: bad split {item.get('split')!r}")
        if not str(item.get("question", "")).strip():
            problems.append(f"{qid}: empty question")
        evidence = item.get("evidence", [])
        if qtype in ("unanswerable", "near_miss"):
            if item.get("answerable") is not False:
                problems.append(f"{qid}: {qtype} question must have answerable=false")
            if qtype == "unanswerable" and evidence:
                problems.append(f"{qid}: unanswerable question must have empty evidence")
            if item.get("answer_contains"):
                problems.append(f"{qid}: {qtype} question has no key facts (a right answer may abstain)")
        else:
            if item.get("answerable") is not True:
                problems.append(f"{qid}: answerable must be true for type {qtype}")
            if not evidence:
                problems.append(f"{qid}: needs at least one evidence item")
        for i, ev in enumerate(evidence):
            if set(ev) != {"doc_id", "snippet"}:
                problems.append(f"{qid}: evidence[{i}] must have exactly doc_id and snippet")
                continue
            problems += check_snippet(ev["doc_id"], ev["snippet"], docs, f"{qid} evidence[{i}]")
        if qtype == "version" and not any(ev.get("doc_id") == VERSION_DOC for ev in evidence):
            problems.append(f"{qid}: version question needs evidence from {VERSION_DOC}")
        districts = item.get("districts")
        if qtype == rules.district_type and not districts:
            problems.append(f"{qid}: {qtype} question needs non-empty districts")
        elif districts is not None and qtype not in (rules.district_type, *rules.district_optional):
            problems.append(f"{qid}: districts is only for {rules.district_type} questions")
        elif districts is not None:
            problems += check_districts(districts, evidence, qid, qtype)
        problems += check_actors(item, evidence, docs, qid, qtype)
        problems += check_missing(item, qid, qtype)
        problems += check_years(item, qid, qtype in rules.year_types)
        facts = item.get("answer_contains", []) or []
        for fact in facts:
            texts = [docs[ev["doc_id"]][0] for ev in evidence if ev.get("doc_id") in docs]
            if not any(collapse(fact) in t for t in texts):
                problems.append(f"{qid}: answer_contains {fact!r} not verbatim in an evidence document")
        needed = 0 if districts else rules.facts_minimum.get(qtype, 0)
        if len(facts) < needed:
            problems.append(f"{qid}: {qtype} question needs at least {needed} answer_contains, has {len(facts)}")
        if len(evidence) < rules.evidence_minimum.get(qtype, 0):
            problems.append(f"{qid}: {qtype} question needs at least {rules.evidence_minimum[qtype]} evidence items")
    counts = collections.Counter((i.get("type"), i.get("split")) for i in items)
    for qtype, minimum in rules.minimum.items():
        total = counts[(qtype, "dev")] + counts[(qtype, "test")]
        if total < minimum:
            problems.append(f"type {qtype}: {total} questions, need at least {minimum}")
        if abs(counts[(qtype, "dev")] - counts[(qtype, "test")]) > 1:
            problems.append(f"type {qtype}: dev/test unbalanced ({counts[(qtype, 'dev')]}/{counts[(qtype, 'test')]})")
    for qtype, word in rules.required_questions:
        if not any(word in i.get("question", "") and i.get("type") == qtype for i in items):
            problems.append(f"missing the {qtype} question about {word}")
    return problems, items


def check_districts(districts: list, evidence: list, qid: str, qtype: str) -> list[str]:
    """Canonical district names, each once, with one evidence item per district in the same order."""
    problems = []
    bad = [d for d in districts if d not in CANONICAL_DISTRICTS]
    if bad:
        problems.append(f"{qid}: non-canonical district names {bad}")
    if len(set(districts)) != len(districts):
        problems.append(f"{qid}: duplicate districts")
    if len(evidence) != len(districts):
        problems.append(f"{qid}: {qtype} needs one evidence item per district, in the same order "
                        f"({len(districts)} districts, {len(evidence)} evidence)")
    return problems


def check_actors(item: dict, evidence: list, docs, qid: str, qtype: str) -> list[str]:
    """``actors``: on actor_list questions only; distinct names, one evidence item per actor in the same
    order, each name written as in the document its evidence item quotes (case aside)."""
    actors = item.get("actors")
    if qtype != "actor_list":
        return [] if actors is None else [f"{qid}: actors is only for actor_list questions"]
    if not actors or not all(isinstance(a, str) and a.strip() for a in actors):
        return [f"{qid}: actor_list question needs non-empty actors"]
    problems = []
    if len({a.casefold() for a in actors}) != len(actors):
        problems.append(f"{qid}: duplicate actors")
    if len(evidence) != len(actors):
        return problems + [f"{qid}: actor_list needs one evidence item per actor, in the same order "
                           f"({len(actors)} actors, {len(evidence)} evidence)"]
    for actor, ev in zip(actors, evidence):
        text = docs.get(ev.get("doc_id"), ("",))[0]
        if collapse(actor).casefold() not in text.casefold():
            problems.append(f"{qid}: actor {actor!r} not written as in {ev.get('doc_id')}")
    return problems


def check_missing(item: dict, qid: str, qtype: str) -> list[str]:
    """``missing``: the constraint the documents lack, a non-empty string on near_miss questions only."""
    missing = item.get("missing")
    if qtype != "near_miss":
        return [] if missing is None else [f"{qid}: missing is only for near_miss questions"]
    if not isinstance(missing, str) or not missing.strip():
        return [f"{qid}: near_miss question needs missing (the constraint the documents lack)"]
    return []


def check_years(item: dict, qid: str, required: bool) -> list[str]:
    """``year_from`` and ``year_to``: both or neither, whole years in order; both when ``required``."""
    years = [item.get("year_from"), item.get("year_to")]
    if all(year is None for year in years):
        return [f"{qid}: needs year_from and year_to"] if required else []
    if not all(isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2100 for year in years):
        return [f"{qid}: year_from and year_to must both be years (1900-2100): {years}"]
    if years[0] > years[1]:
        return [f"{qid}: year_from {years[0]} is later than year_to {years[1]}"]
    return []


def report(path: Path, rules: Rules) -> bool:
    """Validate one file, print its counts per type and split and every problem; whether it passed."""
    problems, items = validate(path, rules)
    counts = collections.Counter((i.get("type"), i.get("split")) for i in items)
    print(f"{len(items)} questions in {path}")
    print(f"{'type':<14}{'dev':>5}{'test':>6}{'total':>7}")
    for qtype in rules.types:
        dev, test = counts[(qtype, "dev")], counts[(qtype, "test")]
        print(f"{qtype:<14}{dev:>5}{test:>6}{dev + test:>7}")
    dev = sum(v for (t, s), v in counts.items() if s == "dev")
    test = sum(v for (t, s), v in counts.items() if s == "test")
    print(f"{'all':<14}{dev:>5}{test:>6}{dev + test:>7}")
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check gold files against the rules of eval/gold/SCHEMA.md.")
    parser.add_argument("path", nargs="?", type=Path, help="a file to check (default: both gold files)")
    parser.add_argument("--research", action="store_true", help="check the path by the rules of research.jsonl")
    args = parser.parse_args(argv)
    if args.path is None:
        checks = [(GOLD_DIR / rules.file, rules) for rules in (GOLD, RESEARCH)]
    else:
        checks = [(args.path, RESEARCH if args.research else GOLD)]
    passed = [report(path, rules) for path, rules in checks]
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
