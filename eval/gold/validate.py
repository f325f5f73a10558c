"""Validate eval/gold/questions.jsonl against the documents in corpus/.

Run from anywhere:  python3 eval/gold/validate.py  [path/to/questions.jsonl]
Exits non-zero and prints every problem when the gold set breaks a rule in SCHEMA.md.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

GOLD_DIR = Path(__file__).resolve().parent
ROOT = GOLD_DIR.parent.parent
DOCS_DIR = ROOT / "corpus"

CANONICAL_DISTRICTS = (
    "Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Bromma", "Kungsholmen", "Norrmalm",
    "Östermalm", "Södermalm", "Enskede-Årsta-Vantör", "Skarpnäck", "Farsta", "Älvsjö",
    "Hägersten-Liljeholmen", "Skärholmen",
)
TYPES = ("fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable")
MINIMUM = {"fact": 20, "district": 15, "list": 12, "paraphrase": 12, "spelling": 10, "version": 8,
           "unanswerable": 12}
REQUIRED = ("id", "split", "type", "question", "answerable", "evidence")
OPTIONAL = ("districts", "answer_contains", "notes")
BOILERPLATE = "Klicka här för att ange text."
VERSION_DOC = "rinkeby-kista-naringsliv-2022-t2"
TOC_LINE = re.compile(r"\t\d+\s*$")  # "3.2 Spånga-Tensta<TAB>7"


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


def validate(path: Path) -> tuple[list[str], list[dict]]:
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
            if key not in REQUIRED + OPTIONAL:
                problems.append(f"{qid}: unknown key {key}")
        if not re.fullmatch(r"q\d{3}", str(qid)):
            problems.append(f"{qid}: id must look like q001")
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        qtype = item.get("type")
        if qtype not in TYPES:
            problems.append(f"{qid}: bad type {qtype!r}")
        if item.get("split") not in ("dev", "test"):
            problems.append(f"{qid}: bad split {item.get('split')!r}")
        if not str(item.get("question", "")).strip():
            problems.append(f"{qid}: empty question")
        evidence = item.get("evidence", [])
        if qtype == "unanswerable":
            if item.get("answerable") is not False:
                problems.append(f"{qid}: unanswerable question must have answerable=false")
            if evidence:
                problems.append(f"{qid}: unanswerable question must have empty evidence")
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
        if qtype == "list":
            if not districts:
                problems.append(f"{qid}: list question needs non-empty districts")
            else:
                bad = [d for d in districts if d not in CANONICAL_DISTRICTS]
                if bad:
                    problems.append(f"{qid}: non-canonical district names {bad}")
                if len(set(districts)) != len(districts):
                    problems.append(f"{qid}: duplicate districts")
                if len(evidence) != len(districts):
                    problems.append(f"{qid}: list needs one evidence item per district, in the same order "
                                    f"({len(districts)} districts, {len(evidence)} evidence)")
        elif districts is not None:
            problems.append(f"{qid}: districts is only for list questions")
        for fact in item.get("answer_contains", []) or []:
            texts = [docs[ev["doc_id"]][0] for ev in evidence if ev.get("doc_id") in docs]
            if not any(collapse(fact) in t for t in texts):
                problems.append(f"{qid}: answer_contains {fact!r} not verbatim in an evidence document")
    counts = collections.Counter((i.get("type"), i.get("split")) for i in items)
    for qtype, minimum in MINIMUM.items():
        total = counts[(qtype, "dev")] + counts[(qtype, "test")]
        if total < minimum:
            problems.append(f"type {qtype}: {total} questions, need at least {minimum}")
        if abs(counts[(qtype, "dev")] - counts[(qtype, "test")]) > 1:
            problems.append(f"type {qtype}: dev/test unbalanced ({counts[(qtype, 'dev')]}/{counts[(qtype, 'test')]})")
    if not any("medborgarvärdar" in i.get("question", "") and i.get("type") == "list" for i in items):
        problems.append("missing the list question about medborgarvärdar")
    return problems, items


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else GOLD_DIR / "questions.jsonl"
    problems, items = validate(path)
    counts = collections.Counter((i.get("type"), i.get("split")) for i in items)
    print(f"{len(items)} questions in {path}")
    print(f"{'type':<14}{'dev':>5}{'test':>6}{'total':>7}")
    for qtype in TYPES:
        dev, test = counts[(qtype, "dev")], counts[(qtype, "test")]
        print(f"{qtype:<14}{dev:>5}{test:>6}{dev + test:>7}")
    dev = sum(v for (t, s), v in counts.items() if s == "dev")
    test = sum(v for (t, s), v in counts.items() if s == "test")
    print(f"{'all':<14}{dev:>5}{test:>6}{dev + test:>7}")
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
