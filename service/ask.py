"""One front door for a question: analysis -> retrieval -> evidence -> composition -> checks.

The API, the CLI, the page, the LangChain tools, the exports and the evaluation all ask through
``Answerer.ask``. A question is analysed (``service.analysis``); each of its parts retrieves passages and
scores their sentences (``service.evidence``); the answer is composed in the form the question asks for
(``service.compose``): a fact, a list of districts or actors, a change over time or between report
versions, or a plain statement of what the documents lack; then checked (``service.checks``): every quote
verbatim at its offsets and every claim cited. An optional generator (an LLM) may rephrase a supported
answer from the same evidence; its answer passes the same checks or the extractive one is kept.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from indexer.settings import Settings
from indexer.swedish import WeightedTerm, tokenize
from indexer.types import Answer, Citation, DistrictFinding, Passage

from .analysis import ANY_OF, CHANGE_WORDS, LIST_WORDS, VERSION_POINT, Asked, Part, QuestionAnalysis, analyse
from .checks import problems
from .compose import (
    ENGLISH_NOTE,
    Composer,
    Evidence,
    Numbering,
    abstention,
    actor_lines,
    district_lines,
    gap_text,
)
from .evidence import EvidenceModel, EvidenceScorer, load_models
from .search import Filters, Searcher, SearchMode
from .versions import NoEarlierVersion, report_families, versioned_document, versions, whats_new_answer

# Words that say what a question lists, how it asks about change, or which documents: not its topic.
NOT_TOPIC = LIST_WORDS | CHANGE_WORDS


class AnswerGenerator(Protocol):
    """Rewrites a supported extractive answer from its evidence (an LLM, say). It must keep every
    sentence cited, and return None (or raise) to keep the extractive answer."""

    name: str

    def generate(self, draft: Answer, evidence: list[Passage]) -> Answer | None:
        """A new answer built from ``evidence``, or None to keep ``draft``."""
        ...


class Answerer:
    """Answers questions from one index; every claim cites a verbatim quote, or it abstains."""

    def __init__(
        self,
        searcher: Searcher,
        settings: Settings,
        generator: AnswerGenerator | None = None,
        model: EvidenceModel | None = None,
    ):
        self.searcher = searcher
        self.settings = settings
        self.generator = generator
        self.index = searcher.index
        self.gazetteer = searcher.gazetteer
        self.evidence = EvidenceScorer(self.index, model or load_models().for_embedder(self.index.manifest.embedder))
        self.composer = Composer(self.evidence, self.gazetteer, settings.answer_max_sentences)

    def ask(self, question: str, district: str | None = None, filters: Filters = Filters()) -> Answer:
        """Answer ``question``, optionally only from passages about ``district`` (and within ``filters``).

        Raises ``QueryError`` (a Swedish message) for an empty or too long question, an unknown district
        or document.
        """
        question = self.searcher.clean_query(question)
        if district:
            filters = Filters((district,), filters.doc_ids, filters.year_from, filters.year_to)
        filters = self.searcher.check_filters(filters)
        analysis = analyse(question, self.gazetteer)
        answer, evidence = self._answer(analysis, filters)
        found = problems(answer, self.index)
        if found:
            raise AssertionError(f"the extractive answer fails its checks: {found}")
        if self.generator is None or not answer.supported:
            return answer
        return self._generated(answer, evidence)

    # Answer forms

    def _answer(self, analysis: QuestionAnalysis, filters: Filters) -> tuple[Answer, list[Passage]]:
        if analysis.asked is Asked.change and not analysis.is_multi_part:
            versioned = self._versions(analysis, filters)
            if versioned is not None:
                return versioned, []
        numbering = Numbering(self.evidence)
        blocks: list[str] = []
        districts: list[DistrictFinding] = []
        actors: list[DistrictFinding] = []
        gaps: list[str] = []
        passages: list[Passage] = []
        answered = 0
        for evidence in self.gather(analysis, filters):
            part = evidence.part
            passages.extend(evidence.passages)
            if numbering.citations:
                # A later part is answered by what the earlier parts have not quoted already.
                evidence = replace(evidence, candidates=[c for c in evidence.candidates if not numbering.quotes(c)])
            block, part_districts, part_actors, part_gaps = self._compose(evidence, analysis, numbering)
            if block is None:
                if analysis.is_multi_part:
                    blocks.append(f"{_label(part)} " + ("Nothing in the documents answers this." if analysis.english else "Dokumenten säger inget om det."))
                continue
            answered += not part_gaps
            gaps.extend(g for g in part_gaps if g not in gaps)
            districts.extend(part_districts)
            actors.extend(part_actors)
            blocks.append(f"{_label(part)} {block}" if analysis.is_multi_part else block)
        if not numbering.citations:
            return abstention(analysis, passages), passages
        notes = (ENGLISH_NOTE,) if analysis.english else ()
        answer = Answer(
            question=analysis.text,
            text="\n".join(blocks),
            supported=answered > 0,
            citations=tuple(numbering.citations),
            districts=tuple(districts),
            actors=tuple(actors),
            gaps=tuple(gaps),
            asked=analysis.asked.value,
            related=() if answered else tuple(passages[:3]),
            notes=notes,
        )
        return answer, passages

    def _compose(
        self, evidence: Evidence, analysis: QuestionAnalysis, numbering: Numbering
    ) -> tuple[str | None, list[DistrictFinding], list[DistrictFinding], list[str]]:
        """One part's answer text (None when nothing answers it), its list lines and its gaps."""
        composer, english = self.composer, analysis.english
        asked = evidence.part.asked
        if asked is Asked.district_list:
            findings = composer.districts(evidence, analysis)
            if findings:
                lines = district_lines(findings, numbering)
                noun = ("district" if len(lines) == 1 else "districts") if english else (
                    "stadsdelsområde" if len(lines) == 1 else "stadsdelsområden")
                lead = f"The documents link {len(lines)} {noun} to the question:" if english else (
                    f"Dokumenten kopplar {len(lines)} {noun} till frågan:")
                body = "\n".join(f"- {line.name} ({line.involvement}): " + " ".join(f"[{i}]" for i in line.citations) for line in lines)
                return f"{lead}\n{body}", lines, [], []
        if asked is Asked.actor_list:
            found = composer.actors(evidence, analysis)
            if found:
                lines = actor_lines(found, numbering)
                lead = f"The documents name {len(lines)} actors:" if english else f"Dokumenten nämner {len(lines)} aktörer:"
                body = "\n".join(f"- {line.name} [{line.citations[0]}]" for line in lines)
                return f"{lead}\n{body}", [], lines, []
        if asked is Asked.change:
            history = composer.history(evidence, analysis)
            if len(history) > 1:
                lines = []
                for document, sentences in history:
                    when = document.period or (str(document.year) if document.year else "odaterat")
                    lines.append(f"- {when}, {document.title}: {numbering.quoted(sentences)}")
                lead = "What the documents say, oldest first:" if english else "Så här skriver dokumenten om det, äldst först:"
                return f"{lead}\n" + "\n".join(lines), [], [], []
        chosen, gaps = composer.fact(evidence, analysis)
        if gaps:
            closest = composer.near_miss(evidence, analysis)
            said = gap_text(gaps, english)
            if closest:
                lead = "What they do say:" if english else "Det dokumenten säger är:"
                return f"{said} {lead} {numbering.quoted(closest)}", [], [], gaps
            return None, [], [], gaps
        if not chosen:
            return None, [], [], []
        return numbering.quoted_under_headings(chosen), [], [], []

    def _versions(self, analysis: QuestionAnalysis, filters: Filters) -> Answer | None:
        """A question about what changed in a report: its versions compared, when it points at one report
        (by a filter, an id, its district, or, for a topic and a version named, the report whose versions
        hold the best evidence on the topic)."""
        documents = self.index.documents.infos
        part = replace(analysis.parts[0], asked=Asked.change)
        topic = self._topic(part.text, analysis)
        doc_id = versioned_document(documents, analysis.text, filters, analysis.districts)
        # The versions are compared on the topic alone: "tertialrapport 2" would find every sentence that
        # mentions a tertial report.
        query = self._topic_words(part.text, analysis) or part.text
        if doc_id is None and topic and analysis.tertials:
            evidence = self._evidence(query, part, analysis, filters)
            doc_id = next(
                (c.passage.chunk.doc_id for c in evidence.candidates if len(versions(documents, c.passage.chunk.doc_id)) > 1),
                None,
            )
        if doc_id is None:
            if topic or not VERSION_POINT.search(analysis.text.lower()):
                return None
            return self._which_report(analysis)
        if topic:
            family = versions(documents, doc_id)
            scoped = Filters(filters.districts, tuple(d.doc_id for d in family), filters.year_from, filters.year_to)
            evidence = self._evidence(query, part, analysis, scoped, per_document=True)
            answer = self._topic_versions(analysis, evidence, family)
            if answer is not None:
                return answer
        try:
            return replace(whats_new_answer(self, doc_id, analysis.text), asked=Asked.change.value)
        except NoEarlierVersion as exc:
            return Answer(question=analysis.text, text=str(exc), supported=False, asked=Asked.change.value)

    def _which_report(self, analysis: QuestionAnalysis) -> Answer:
        """The honest answer to "what is new in the report?" when the question does not say which: the
        reports that have several versions, to choose from."""
        documents = self.index.documents.infos
        families = report_families(documents)
        members: dict[str, list[str]] = {}
        for doc_id in sorted(documents):
            members.setdefault(families[doc_id], []).append(doc_id)
        reports = sorted(
            versions(documents, ids[0])[-1].title for ids in members.values() if len(ids) > 1
        )
        if analysis.english:
            text = "The question does not say which report it is about. Reports with several versions: " + "; ".join(reports) + ". Name the report or its district."
        else:
            text = "Frågan säger inte vilken rapport den gäller. Rapporter med flera versioner: " + "; ".join(reports) + ". Ange rapporten eller stadsdelen."
        return Answer(question=analysis.text, text=text, supported=False, asked=Asked.change.value, gaps=("rapport",))

    def _topic_versions(self, analysis: QuestionAnalysis, evidence: Evidence, family: list) -> Answer | None:
        """What a version (the one the question names, else the latest) says on the topic that the version
        before it did not, and what it no longer says; None when no version speaks of the topic."""
        if len(family) < 2:
            return None
        later = _named_version(family, analysis.tertials) or family[-1]
        earlier = family[family.index(later) - 1] if family.index(later) else family[1]
        # A sentence of a version is on the topic when it would answer the question as a fact.
        threshold = self.composer.thresholds["answer"]
        on_topic = {
            d.doc_id: [c for c in evidence.candidates if c.passage.chunk.doc_id == d.doc_id and c.probability >= threshold]
            for d in (earlier, later)
        }
        if not on_topic[later.doc_id] and not on_topic[earlier.doc_id]:
            return None
        earlier_text = self.evidence.document_sentences(earlier.doc_id)
        later_text = self.evidence.document_sentences(later.doc_id)
        added = [c for c in on_topic[later.doc_id] if " ".join(c.text.lower().split()) not in earlier_text][: self.settings.answer_max_sentences]
        removed = [c for c in on_topic[earlier.doc_id] if " ".join(c.text.lower().split()) not in later_text][:1]
        kept = [c for c in on_topic[later.doc_id] if c not in added][:1]
        english = analysis.english
        numbering = Numbering(self.evidence)
        blocks = []
        if added:
            lead = f"New in {later.title} compared with {earlier.title}:" if english else f"Nytt i {later.title} jämfört med {earlier.title}:"
            blocks.append(f"{lead} {numbering.quoted(added)}")
        if removed:
            lead = f"No longer in {later.title}:" if english else f"Finns inte längre i {later.title}:"
            blocks.append(f"{lead} {numbering.quoted(removed)}")
        if not blocks and kept:
            lead = "Both versions say the same:" if english else "Versionerna skriver samma sak:"
            blocks.append(f"{lead} {numbering.quoted(kept)}")
        if not blocks:
            return None
        return Answer(
            question=analysis.text,
            text="\n".join(blocks),
            supported=True,
            citations=tuple(numbering.citations),
            asked=Asked.change.value,
            notes=(ENGLISH_NOTE,) if english else (),
        )

    # Retrieval and evidence

    def gather(self, analysis: QuestionAnalysis, filters: Filters) -> list[Evidence]:
        """The scored evidence of each part of a question. A later part is searched with the first part's
        topic words too: "... och hur många har gått vidare till jobb?" is about what the first part named."""
        gathered = []
        first_topic = ""
        for number, part in enumerate(analysis.parts):
            query = part.text if number == 0 else f"{part.text} {first_topic}".strip()
            gathered.append(self._evidence(query, part, analysis, filters))
            if number == 0:
                first_topic = self._topic_words(part.text, analysis)
        return gathered

    def _evidence(
        self, query: str, part: Part, analysis: QuestionAnalysis, filters: Filters, per_document: bool = False
    ) -> Evidence:
        """Passages for one part and their sentences, scored (one candidate per document for a sentence
        several versions of a report share, with ``per_document``)."""
        aggregates = part.asked.is_list or part.asked is Asked.change
        depth = self.settings.list_passages if aggregates else self.settings.answer_passages
        if part.asked.is_list and analysis.districts and not filters.districts:
            # A list within named districts (or a region) reads only passages about them.
            filters = Filters(analysis.districts, filters.doc_ids, filters.year_from, filters.year_to)
        passages = self.searcher.search(query, depth, SearchMode.hybrid, filters)
        if aggregates:
            # Aggregation needs recall: add what BM25 alone ranks high (a rare word is strong evidence).
            seen = {p.chunk.chunk_id for p in passages}
            extra = [p for p in self.searcher.search(query, depth, SearchMode.bm25, filters) if p.chunk.chunk_id not in seen]
            passages += [Passage(p.chunk, p.title, p.score, len(passages) + i + 1, p.also_in) for i, p in enumerate(extra)]
        terms = self._topic(query, analysis)
        vector = self.searcher.embed_query(query)
        passages = self._relevant(passages, terms, vector)
        if not passages:
            return Evidence(part, [], [])
        candidates = self.evidence.scored(
            passages, terms, vector, part, analysis,
            _alternatives(query) if analysis.any_of else (), per_document,
        )
        return Evidence(part, candidates, passages)

    def _relevant(self, passages: list[Passage], terms: list[WeightedTerm], vector) -> list[Passage]:
        """The passages that pass the search page's relevance floor: holding a word of the topic, or near
        the question by meaning (``search_min_dense``). A question about elephants at Skansen is near
        nothing in the documents, and is not answered with the nearest sentence that has a number."""
        stems = {t.term for t in terms}
        floor = self.settings.search_min_dense
        kept = []
        for passage in passages:
            position = self.index.chunk_position(passage.chunk.chunk_id)
            if not stems.isdisjoint(tokenize(passage.chunk.indexed_text)) or (
                position is not None and float(self.index.dense.vector(position) @ vector) >= floor
            ):
                kept.append(passage)
        return kept

    def _topic_words(self, text: str, analysis: QuestionAnalysis) -> str:
        """The words of ``text`` that hold its topic, in order ("Jobbskjutsen" of "Vad är nytt om
        Jobbskjutsen i tertialrapport 2?")."""
        origins = {t.origin for t in self._topic(text, analysis)}
        return " ".join(w for w in text.split() if set(tokenize(w)) & origins)

    def _topic(self, text: str, analysis: QuestionAnalysis) -> list[WeightedTerm]:
        """The weighted terms of ``text`` that say what it is about, not what it lists, when or where."""
        named = (*analysis.constraint_words, *analysis.document_words, *analysis.frame_words)
        excluded = NOT_TOPIC | frozenset(tokenize(" ".join(named)))
        return [t for t in self.index.lexical.query_terms(text) if t.origin not in excluded]

    def _generated(self, answer: Answer, evidence: list[Passage]) -> Answer:
        try:
            generated = self.generator.generate(answer, evidence)
        except Exception as exc:  # noqa: BLE001 - any failure of an external model falls back
            return replace(answer, notes=(*answer.notes, f"Språkmodellen svarade inte ({type(exc).__name__}); svaret är extraktivt."))
        if generated is None or problems(generated, self.index):
            return replace(answer, notes=(*answer.notes, "Språkmodellen gav inget svar med giltiga källhänvisningar; svaret är extraktivt."))
        return replace(generated, asked=answer.asked, gaps=answer.gaps, actors=_kept(answer.actors, generated.citations, answer.citations))


def _named_version(family: list, tertials: tuple[int, ...]):
    """The version of a report the question names by its tertial ("T2", "tertialrapport 2"), if any."""
    for document in reversed(family):
        if tertials and document.period and any(f"T{n}" in document.period.upper() for n in tertials):
            return document
    return None


def _label(part: Part) -> str:
    """How a part of a question of several is introduced in the answer."""
    text = part.text.rstrip(" ?")
    return f"{text[:1].upper()}{text[1:]}?"


def _alternatives(text: str) -> list[frozenset[str]]:
    """The stems on each side of "A eller B" in ``text``."""
    match = ANY_OF.search(text)
    if match is None:
        return []
    left, _, right = re.split(r"\s+(eller|or)\s+", match.group(0), maxsplit=1, flags=re.I)
    return [frozenset(tokenize(left)), frozenset(tokenize(right))]


def _kept(lines: tuple[DistrictFinding, ...], new: tuple[Citation, ...], old: tuple[Citation, ...]) -> tuple[DistrictFinding, ...]:
    """List lines renumbered for a generated answer's citations (lines whose quotes it dropped go)."""
    number_of = {(c.doc_id, c.start, c.end): c.id for c in new}
    by_old = {c.id: number_of.get((c.doc_id, c.start, c.end)) for c in old}
    kept = []
    for line in lines:
        ids = tuple(i for i in (by_old.get(i) for i in line.citations) if i is not None)
        if ids:
            kept.append(DistrictFinding(line.name, ids, line.involvement))
    return tuple(kept)
