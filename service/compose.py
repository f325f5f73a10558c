"""Answer forms, composed from scored evidence: a fact (one or more sentences, each part of a question of
several parts with its own), a list of districts or of actors (one line each, cited), a change over time
or between report versions, and the plain statement of what the documents lack (a year, a district, an
amount) when they come close but do not answer.

Every form honours the question's constraints (``service.analysis``): a sentence about another district
or another year than the question names is not quoted as its answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.filtering import document_years
from indexer.sentences import INSTRUCTION, is_fragment
from indexer.swedish import tokenize
from indexer.types import Answer, Citation, DistrictFinding, DocumentInfo, Involvement, Passage

from .actors import GENERIC, actor_key, actors_in, asked_kind, of_kind
from .analysis import Asked, Part, QuestionAnalysis
from .attribution import credited, own_districts, places_named, same_text, strongest
from .evidence import FEATURES, Candidate, EvidenceScorer
from .timeline import period_start

ABSTAIN = "Jag hittar inget i dokumenten som besvarar frågan."
ABSTAIN_EN = "I find nothing in the documents that answers the question."
ENGLISH_NOTE = "The documents are in Swedish; the answer quotes them in Swedish."
# A sentence that leads into the next one: it ends with a colon, or the next begins by referring back.
CONTINUES = re.compile(r"^(?:det|detta|dessa|de|den|där|därför|dessutom|därutöver|syftet|målet|projektet|arbetet|"
                       r"samtidigt|även|vidare|sedan|också|men|totalt|hittills)\b", re.I)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A history quotes at most this many documents, and this many sentences of each.
TIMELINE_DOCUMENTS = 6
TIMELINE_SENTENCES = 2
# A list line cites at most this many sentences, and an actor list names at most this many actors.
LINE_CITATIONS = 2
MOST_ACTORS = 30
# A sentence on the topic of an actor list is read with this many sentences after it: who took part is
# often said a sentence or two after what took place.
ACTOR_FOLLOWING = 3
# A sentence that announces a list ("samverka med följande nämnder och bolag") is read further, into the
# subsections under its own, where the list often stands under headings of its own.
ANNOUNCES_LIST = re.compile(r"\bföljande\b|:\s*$", re.I)
LISTED_FOLLOWING = 8
# A sentence that adds actors to those just named.
ADDS_ACTORS = re.compile(r"\b(?:även|också|dessutom|likaså|also|as well)\b", re.I)
# What a question asks for that a sentence can be seen to lack (beyond these, what ``Part.wants``).
KIND_GAPS = {Asked.number: "antal", Asked.date: "tidpunkt"}
# How many headings of a section path lead the quotes of a fact.
HEADINGS_SHOWN = 2
# A longer heading is a report form's question or instruction, not a name.
HEADING_WORDS = 8
# What a district list lists, which the question names but is not a partner ("Vilka stadsdelsnämnder ...").
DISTRICT_NOUN = re.compile(r"stadsdel\w*|stadsdelsområde\w*|stadsdelsnämnd\w*|stadsdelsförvaltning\w*|distrikt\w*", re.I)
FITS = FEATURES.index("fits")
ANCHOR = FEATURES.index("anchor")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The scored candidates of one part of a question, and the passages they come from."""

    part: Part
    candidates: list[Candidate]
    passages: list[Passage]


class Composer:
    """Composes answers from evidence, honouring the question's constraints."""

    def __init__(self, evidence: EvidenceScorer, gazetteer, max_sentences: int):
        self.evidence = evidence
        self.gazetteer = gazetteer
        self.max_sentences = max_sentences
        self.thresholds = evidence.model.thresholds
        self.documents = evidence.index.documents

    # Constraints

    def about(self, candidate: Candidate) -> tuple[str, ...]:
        """The districts a candidate speaks for: its own (section or document), and those it credits."""
        chunk = candidate.passage.chunk
        own = own_districts(self.gazetteer, chunk.section, self.documents.infos[chunk.doc_id])
        return tuple(name for name, _ in credited(self.gazetteer, candidate.text, own))

    def in_years(self, candidate: Candidate, analysis: QuestionAnalysis) -> bool:
        """Whether a candidate can speak for the years the question names: a year it names itself, or, when
        it names none, a year its document covers."""
        wanted = _wanted_years(analysis)
        if not wanted:
            return True
        named = {int(y) for y in YEAR.findall(candidate.text)}
        if named:
            return bool(named & wanted)
        years = document_years(self.documents.infos[candidate.passage.chunk.doc_id])
        return years is not None and any(years[0] <= y <= years[1] for y in wanted)

    def in_district(self, candidate: Candidate, analysis: QuestionAnalysis) -> bool:
        """Whether a candidate speaks for a district the question names (any, when it names none), and for
        a place it names: a sentence about other places ("i Rinkeby och Husby") does not answer for Kista."""
        if analysis.districts and not set(self.about(candidate)) & set(analysis.districts):
            return False
        if not analysis.places:
            return True
        named = places_named(self.gazetteer, candidate.text)
        wanted = {p.lower() for p in analysis.places}
        # A place whose name begins with the wanted one lies in it ("Kista Science City", "Husby gård").
        return not named or any(n == w or n.startswith(w + " ") for n in named for w in wanted)

    # Facts

    def fact(self, evidence: Evidence, analysis: QuestionAnalysis) -> tuple[list[Candidate], list[str]]:
        """The sentences that answer one part, and the gaps found when only sentences that break the
        question's constraints would have answered it."""
        threshold = self.thresholds["answer"]
        strong = [c for c in evidence.candidates if c.probability >= threshold]
        if not strong:
            return [], []
        admitted = [c for c in strong if self.in_district(c, analysis) and self.in_years(c, analysis)]
        # Only sentences about as probable as the best can show a constraint is met: when the best is for
        # another year or place, a far weaker sentence that fits is not the answer.
        close = [c for c in strong if c.probability >= self.thresholds["second"] * strong[0].probability]
        gaps = self._gaps(close, admitted, analysis)
        if gaps or not admitted:
            return [], gaps
        best = admitted[0]
        chosen = [best]
        floor = max(threshold, self.thresholds["second"] * best.probability)
        for candidate in admitted[1:]:
            if len(chosen) >= self.max_sentences or candidate.probability < floor:
                break
            if not any(same_text(candidate.text, c.text) for c in chosen):
                chosen.append(candidate)
        kind = _kind_asked(evidence.part)
        if kind and not any(_fits(c) for c in chosen):
            # On the topic, in the right place and years, but what would be quoted lacks what is asked.
            return [], [kind]
        return self._continued(chosen), []

    def near_miss(self, evidence: Evidence, analysis: QuestionAnalysis) -> list[Candidate]:
        """What the documents do say closest to a question they cannot answer as asked."""
        threshold = self.thresholds["answer"]
        return [c for c in evidence.candidates if c.probability >= threshold][:1]

    def _gaps(self, close: list[Candidate], admitted: list[Candidate], analysis: QuestionAnalysis) -> list[str]:
        """The districts and years asked for that none of the ``close`` (most probable) sentences is about."""
        gaps: list[str] = []
        if analysis.districts and not any(self.in_district(c, analysis) for c in close):
            gaps.extend(analysis.districts)
        wanted = _wanted_years(analysis)
        if wanted and not any(self.in_years(c, analysis) for c in close):
            gaps.extend(str(y) for y in sorted(wanted))
        return gaps

    def _continued(self, chosen: list[Candidate]) -> list[Candidate]:
        """``chosen`` with the sentence after each that leads into it (a label, a colon, a "Detta ...")."""
        out: list[Candidate] = []
        for candidate in chosen:
            out.append(candidate)
            following = self.evidence.following(candidate)
            if following is None or any(c.row == following.row for c in chosen + out):
                continue
            if candidate.text.rstrip().endswith(":") or is_fragment(candidate.text) or CONTINUES.match(following.text):
                out.append(following)
        return out

    # Lists of districts

    def districts(self, evidence: Evidence, analysis: QuestionAnalysis) -> dict[str, list[tuple[Candidate, Involvement]]]:
        """The districts the evidence ties to the topic, each with its sentences and their involvement."""
        threshold = self.thresholds["district"]
        partners = self._actors_asked(analysis)
        findings: dict[str, list[tuple[Candidate, Involvement]]] = {}
        for candidate in evidence.candidates:
            if not (self._listed(candidate, threshold) or self._names_any(candidate, partners)):
                continue
            if not self.in_years(candidate, analysis):
                continue
            chunk = candidate.passage.chunk
            own = own_districts(self.gazetteer, chunk.section, self.documents.infos[chunk.doc_id])
            for district, involvement in credited(self.gazetteer, candidate.text, own):
                if analysis.districts and district not in analysis.districts:
                    continue
                findings.setdefault(district, []).append((candidate, involvement))
        return findings

    def _actors_asked(self, analysis: QuestionAnalysis) -> set[str]:
        """The actors a list question names ("... samverkar med Stockholmshem"), by their key without spaces
        ("AB Stockholms hem" is the same company): a sentence naming one ties its district to the topic."""
        return {
            actor_key(m.name).replace(" ", "")
            for m in actors_in(analysis.text)
            if not self._is_place(m.name) and not DISTRICT_NOUN.fullmatch(m.name) and not GENERIC.match(m.name)
        }

    @staticmethod
    def _names_any(candidate: Candidate, partners: set[str]) -> bool:
        return bool(partners) and any(actor_key(m.name).replace(" ", "") in partners for m in actors_in(candidate.text))

    # Lists of actors

    def actors(self, evidence: Evidence, analysis: QuestionAnalysis) -> dict[str, tuple[str, list[Candidate]]]:
        """The actors the evidence names, by their folded name: as first written, and the sentences. Only
        sentences near the best one in probability count; one that names no actor itself ("samverkar med
        följande:") is read with the sentences after it, which often name who took part."""
        probable = [c for c in evidence.candidates if c.probability >= self.thresholds["actor"]]
        if not probable:
            return {}
        floor = self.thresholds["actor_second"] * probable[0].probability
        asked_about = {actor_key(m.name): frozenset(tokenize(m.name)) for m in actors_in(analysis.text)}
        kind = asked_kind(analysis.text)
        found: dict[str, tuple[str, list[Candidate]]] = {}
        for candidate in probable:
            if candidate.probability < floor or len(found) >= MOST_ACTORS:
                break
            if not (self.in_district(candidate, analysis) and self.in_years(candidate, analysis)):
                continue
            named = self._actors_named(candidate, asked_about)
            sentences = [candidate] if named else [candidate, *self._paragraph(candidate)]
            # Read on to the first sentence that names actors (who took part), then only sentences that add
            # to them ("Samverkan sker även med ..."); an announced list is read whole.
            announces = bool(ANNOUNCES_LIST.search(candidate.text))
            listed = False
            for sentence in sentences:
                if listed and not announces and not ADDS_ACTORS.search(sentence.text):
                    continue
                names = named if sentence is candidate else self._actors_named(sentence, asked_about)
                for name in names:
                    if kind is not None and not of_kind(name, kind):
                        continue
                    _, cited = found.setdefault(actor_key(name), (name, []))
                    if all(s.row != sentence.row for s in cited):
                        cited.append(sentence)
                listed = listed or (bool(names) and sentence is not candidate)
        return found

    def _actors_named(self, candidate: Candidate, asked_about: dict[str, frozenset[str]]) -> list[str]:
        """The actors a sentence names, less places and the actors the question itself names, also when
        inflected or named in full ("Centralstationen" asks about "Stockholms Centralstation"). ``asked_about``
        holds the question's actors by key, with their stems."""
        names = []
        for mention in actors_in(candidate.text):
            key = actor_key(mention.name)
            stems = frozenset(tokenize(mention.name))
            if self._is_place(mention.name) or key in asked_about or any(
                key in other or other in key for other in asked_about if len(other) > 3
            ) or any(asked and asked <= stems for asked in asked_about.values()):
                continue
            names.append(mention.name)
        return names

    def _listed(self, candidate: Candidate, threshold: float) -> bool:
        """Whether a candidate is evidence for a list of districts: probable enough, or, as in the overview
        table, holding the topic's rarest word. A list needs recall: the fifth district's sentence stands far
        down the ranking, where rank and margin features pull its probability down."""
        anchored = candidate.features is not None and bool(candidate.features[ANCHOR])
        return candidate.probability >= threshold or anchored

    def _paragraph(self, candidate: Candidate) -> list[Candidate]:
        """The sentences after ``candidate`` in its section, up to ``ACTOR_FOLLOWING`` of them; after a
        sentence announcing a list, up to ``LISTED_FOLLOWING`` of them in its section and those under it."""
        announces = bool(ANNOUNCES_LIST.search(candidate.text))
        within, most = (candidate.section, LISTED_FOLLOWING) if announces else (None, ACTOR_FOLLOWING)
        following: list[Candidate] = []
        current = self.evidence.following(candidate, within)
        while current is not None and len(following) < most:
            following.append(current)
            current = self.evidence.following(current, within)
        return following

    def _is_place(self, name: str) -> bool:
        """Whether ``name`` is only a district's or a place's name (an address, not an actor)."""
        # Also in the genitive ("Norrmalms").
        return any(
            any(m.start == 0 and m.end == len(form) for m in self.gazetteer.mentions(form, ignore_case=True))
            for form in {name, name.removesuffix("s")}
        )

    # Change over time

    def history(self, evidence: Evidence, analysis: QuestionAnalysis) -> list[tuple[DocumentInfo, list[Candidate]]]:
        """Per document that speaks of the topic, oldest first, its best sentences (within the question's
        districts)."""
        # A document speaks of the topic when a sentence of it would answer the question as a fact.
        threshold = self.thresholds["answer"]
        by_document: dict[str, list[Candidate]] = {}
        for candidate in evidence.candidates:
            if candidate.probability < threshold or not self.in_district(candidate, analysis):
                continue
            by_document.setdefault(candidate.passage.chunk.doc_id, []).append(candidate)
        infos = self.documents.infos
        relevant = sorted(by_document, key=lambda d: -by_document[d][0].probability)[:TIMELINE_DOCUMENTS]
        history = []
        for doc_id in sorted(relevant, key=lambda d: (*period_start(infos[d]), d)):
            chosen: list[Candidate] = []
            for candidate in by_document[doc_id]:
                if len(chosen) == TIMELINE_SENTENCES:
                    break
                if not any(same_text(candidate.text, c.text) for c in chosen):
                    chosen.append(candidate)
            history.append((infos[doc_id], chosen))
        return history


class Numbering:
    """Citations numbered in the order they are first quoted; the same sentence is one citation."""

    def __init__(self, evidence: EvidenceScorer):
        self.evidence = evidence
        self.citations: list[Citation] = []

    def cite(self, candidate: Candidate) -> Citation:
        """The citation of ``candidate``, numbered when first cited."""
        for citation in self.citations:
            if same_text(citation.quote, candidate.text):
                return citation
        citation = self.evidence.citation(len(self.citations) + 1, candidate)
        self.citations.append(citation)
        return citation

    def quotes(self, candidate: Candidate) -> bool:
        """Whether ``candidate``'s text is quoted already."""
        return any(same_text(citation.quote, candidate.text) for citation in self.citations)

    def quoted(self, candidates: Sequence[Candidate]) -> str:
        """The candidates' quotes, each followed by its marker."""
        return " ".join(f"{c.quote} [{c.id}]" for c in (self.cite(candidate) for candidate in candidates))

    def quoted_under_headings(self, candidates: Sequence[Candidate]) -> str:
        """The quotes, each run of quotes from one section led by that section's headings: a sentence
        such as "Totalt är 18 deltagare inskrivna i projektet." says which project only under its heading."""
        runs: list[tuple[str, list[Candidate]]] = []
        for candidate in candidates:
            label = section_label(candidate.passage.chunk.section)
            if runs and runs[-1][0] == label:
                runs[-1][1].append(candidate)
            else:
                runs.append((label, [candidate]))
        return " ".join(f"{label}: {self.quoted(run)}" if label else self.quoted(run) for label, run in runs)


def section_label(section: str) -> str:
    """The last two headings of a section path that name something (not a report form's instruction or
    question, such as "Beskriv nämndens arbete med ..."), joined as people read them."""
    headings = [
        h for h in (part.strip() for part in section.split(" > "))
        if h and not INSTRUCTION.search(h) and not h.endswith("?") and len(h.split()) <= HEADING_WORDS
    ]
    return " – ".join(headings[-HEADINGS_SHOWN:])


def district_lines(
    findings: dict[str, list[tuple[Candidate, Involvement]]], numbering: Numbering
) -> list[DistrictFinding]:
    """One line per district, best evidence first, each citing up to two sentences."""
    lines = []
    for district in sorted(findings, key=lambda d: (-max(c.probability for c, _ in findings[d]), d)):
        pairs = sorted(findings[district], key=lambda pair: -pair[0].probability)
        ids: list[int] = []
        for candidate, _ in pairs[:LINE_CITATIONS]:
            citation = numbering.cite(candidate)
            if citation.id not in ids:
                ids.append(citation.id)
        lines.append(DistrictFinding(district, tuple(ids), strongest(inv for _, inv in pairs)))
    return lines


def actor_lines(found: dict[str, tuple[str, list[Candidate]]], numbering: Numbering) -> list[DistrictFinding]:
    """One line per actor, in the order the evidence names them, each citing its first sentence."""
    lines = []
    for name, sentences in found.values():
        citation = numbering.cite(sentences[0])
        lines.append(DistrictFinding(name, (citation.id,), "nämner"))
    return lines


def abstention(analysis: QuestionAnalysis, related: Sequence[Passage] = ()) -> Answer:
    """The honest answer when no sentence supports one."""
    text = ABSTAIN_EN if analysis.english else ABSTAIN
    notes = (ENGLISH_NOTE,) if analysis.english else ()
    return Answer(question=analysis.text, text=text, supported=False, related=tuple(related[:3]), asked=analysis.asked.value, notes=notes)


def _kind_asked(part: Part) -> str | None:
    """The gap's name when ``part`` asks for something a sentence can be checked to have."""
    return part.wants.value if part.wants is not None else KIND_GAPS.get(part.asked)


def _fits(candidate: Candidate) -> bool:
    """Whether a scored candidate has what its question asks for (a number, an amount, a date)."""
    return candidate.features is not None and bool(candidate.features[FITS])


GAP_TEXT = {
    "belopp": ("Dokumenten anger inget belopp.", "The documents give no amount."),
    "antal": ("Dokumenten anger ingen siffra för det.", "The documents give no figure for it."),
    "tidpunkt": ("Dokumenten anger ingen tidpunkt för det.", "The documents give no date for it."),
    "frekvens": ("Dokumenten anger inte hur ofta.", "The documents do not say how often."),
    "andel": ("Dokumenten anger ingen andel för det.", "The documents give no share for it."),
    "resultat": ("Dokumenten redovisar inget resultat av det.", "The documents report no result of it."),
    "person": ("Dokumenten namnger ingen person för det.", "The documents name no person for it."),
}


def gap_text(gaps: Sequence[str], english: bool) -> str:
    """The sentence that says what the documents do not give."""
    years = [g for g in gaps if g.isdigit()]
    places = [g for g in gaps if not g.isdigit() and g not in GAP_TEXT]
    kinds = [GAP_TEXT[g][english] for g in gaps if g in GAP_TEXT]
    said = []
    if english:
        if years:
            said.append(f"The documents give nothing for {_joined(years, 'or')}.")
        if places:
            said.append(f"The documents say nothing about this for {_joined(places, 'or')}.")
        return " ".join(said + kinds)
    if years:
        said.append(f"För {_joined(years, 'eller')} finns ingen uppgift i dokumenten.")
    if places:
        said.append(f"Om {_joined(places, 'eller')} säger dokumenten inget om detta.")
    return " ".join(said + kinds)


def _joined(items: Sequence[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _wanted_years(analysis: QuestionAnalysis) -> set[int]:
    if analysis.year_range and analysis.asked is not Asked.change:
        first, last = analysis.year_range
        return set(range(first, last + 1))
    return set(analysis.years) if analysis.asked is not Asked.change else set()
