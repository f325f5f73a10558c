"""Optional generation: an OpenAI-compatible chat model rewrites a supported extractive answer.

The model is given the question and numbered sources: the draft's quotes under their own numbers, then
the best other retrieved passages. Its reply is kept only if every sentence ends with markers ``[n]`` of
sources it was given; otherwise ``generate`` returns None and the ``Answerer`` keeps the extractive
answer. Any endpoint speaking the OpenAI chat API works (Ollama, vLLM, llama.cpp server); see docs/llm.md.
"""

from __future__ import annotations

import re
from dataclasses import replace

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from indexer.chunking import sentence_spans
from indexer.settings import Settings
from indexer.types import Answer, Citation, DistrictFinding, Passage

from .compose import ABSTAIN

#: Sources shown to the model; the draft's own citations are always shown, even beyond this.
MAX_SOURCES = 6
#: Longest passage shown, cut at a sentence end (the corpus's longest chunk at default settings is 604).
MAX_SOURCE_CHARS = 1000

SYSTEM_PROMPT = f"""Du besvarar frågor om Stockholms stads dokument åt stadens medarbetare.
Regler:
- Svara på svenska, kort och sakligt, och bara utifrån de numrerade källorna. Lägg inte till egen kunskap.
- Varje mening ska sluta med en eller flera källmarkörer, till exempel [1] eller [2][3],
  för de källor som stöder just den meningen.
- Använd bara numren på källorna du har fått.
- Om källorna inte besvarar frågan, svara exakt: {ABSTAIN}"""

MARKER = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])+")
# A sentence ends at . ! or ? before a word that does not continue it in lower case.
SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[^\sa-zåäö])")
# Full stops that end no sentence: common abbreviations, and the number of a numbered list item.
NO_BREAK_AFTER = re.compile(
    r"\b(?:t\.ex|bl\.a|m\.m|m\.fl|s\.k|p\.g\.a|t\.o\.m|fr\.o\.m|d\.v\.s|dvs|osv|ca|kl|nr|resp|jfr|enl)\.$|^\d+\.$", re.I
)
# Reasoning models served by Ollama or llama.cpp may put their deliberation before the answer.
THINKING = re.compile(r"^\s*<think>.*?</think>", re.S)


class LLMGenerator:
    """An ``AnswerGenerator`` backed by a chat model behind an OpenAI-compatible endpoint."""

    def __init__(self, settings: Settings):
        self.name = f"llm:{settings.llm_model}"
        self.model = ChatOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout=settings.llm_timeout,
            # The Answerer falls back to the extractive answer at once rather than keep the user waiting.
            max_retries=0,
            temperature=0,
        )

    def generate(self, draft: Answer, evidence: list[Passage]) -> Answer | None:
        """The model's answer to ``draft.question`` from the draft's quotes and ``evidence``, or None when
        it abstains or a sentence of its reply is not cited with the sources it was given. Network errors
        and timeouts propagate."""
        sources = select_sources(draft, evidence)
        reply = self.model.invoke(
            [SystemMessage(SYSTEM_PROMPT), HumanMessage(format_prompt(draft.question, sources))]
        )
        text = THINKING.sub("", reply.text).strip()
        if _abstains(text):
            return None
        used = cited_sources(text, {source.id for source in sources})
        if used is None:
            return None
        new_id = {old: new for new, old in enumerate(used, start=1)}
        by_id = {source.id: source for source in sources}
        return Answer(
            question=draft.question,
            text=MARKER.sub(lambda m: " ".join(f"[{new_id[i]}]" for i in _marker_ids(m)), text),
            supported=True,
            citations=tuple(replace(by_id[old], id=new) for old, new in new_id.items()),
            districts=_remap_districts(draft.districts, new_id),
            related=draft.related,
            generator=self.name,
            notes=(),
        )


def select_sources(draft: Answer, evidence: list[Passage]) -> list[Citation]:
    """The sources the model sees: the draft's citations under their own numbers, then passages of
    ``evidence`` not already cited, numbered on, up to ``MAX_SOURCES`` in all."""
    sources = list(draft.citations)
    cited_chunks = {citation.chunk_id for citation in sources}
    next_id = max((citation.id for citation in sources), default=0) + 1
    for passage in evidence:
        if len(sources) >= MAX_SOURCES:
            break
        if passage.chunk.chunk_id in cited_chunks:
            continue
        sources.append(passage_citation(next_id, passage))
        cited_chunks.add(passage.chunk.chunk_id)
        next_id += 1
    return sources


def passage_citation(number: int, passage: Passage) -> Citation:
    """A citation of a whole passage (its first ``MAX_SOURCE_CHARS``, cut at a sentence end).

    ``chunk.text == document.text[chunk.start:chunk.end]``, so a prefix of the chunk text is the document
    text from ``chunk.start`` on, and the quote stays verbatim.
    """
    chunk = passage.chunk
    length = _excerpt_length(chunk.text, MAX_SOURCE_CHARS)
    return Citation.quoting(number, chunk, passage.title, chunk.start, chunk.start + length, chunk.text[:length], chunk.page)


def format_prompt(question: str, sources: list[Citation]) -> str:
    """The user message: the question, then each source as ``[n] title, section, page`` and its quote."""
    blocks = []
    for source in sources:
        page = f"s. {source.page}" if source.page else ""
        where = ", ".join(part for part in (source.title, source.section, page) if part)
        blocks.append(f"[{source.id}] {where}\n{source.quote}")
    return f"Fråga: {question}\n\nKällor:\n\n" + "\n\n".join(blocks)


def split_sentences(text: str) -> list[str]:
    """The sentences (and list lines) of a reply. Markers written after a full stop belong to the
    sentence before them; a full stop after a common abbreviation or a list number ends no sentence."""
    pieces: list[str] = []
    for line in text.splitlines():
        line_pieces: list[str] = []
        for piece in SENTENCE_BOUNDARY.split(line.strip()):
            if line_pieces and NO_BREAK_AFTER.search(line_pieces[-1]):
                line_pieces[-1] += " " + piece
            else:
                line_pieces.append(piece)
        pieces += line_pieces
    sentences: list[str] = []
    for piece in pieces:
        leading = LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1] += " " + leading.group().strip()
            piece = piece[leading.end():]
        if piece.strip():
            sentences.append(piece.strip())
    return sentences


def cited_sources(text: str, known: set[int]) -> list[int] | None:
    """The source numbers ``text`` cites, in order of first use; None if a sentence cites nothing or
    a marker names a source not in ``known``. A lead-in ending with a colon introduces what follows
    (a list, say) and needs no marker of its own."""
    sentences = split_sentences(text)
    used: list[int] = []
    for position, sentence in enumerate(sentences):
        ids = [number for match in MARKER.finditer(sentence) for number in _marker_ids(match)]
        if not ids:
            if sentence.endswith(":") and position < len(sentences) - 1:
                continue
            return None
        if any(number not in known for number in ids):
            return None
        used += [number for number in ids if number not in used]
    return used or None


def _marker_ids(match: re.Match[str]) -> list[int]:
    return list(dict.fromkeys(int(number) for number in match.group(1).split(",")))


def _abstains(text: str) -> bool:
    normalised = " ".join(text.lower().split())
    return ABSTAIN.lower().rstrip(".") in normalised


def _remap_districts(districts: tuple[DistrictFinding, ...], new_id: dict[int, int]) -> tuple[DistrictFinding, ...]:
    """The draft's district lines with their citation numbers renumbered; numbers the reply no longer
    cites are dropped, and a line left without any is dropped with them."""
    remapped = []
    for finding in districts:
        ids = tuple(new_id[i] for i in finding.citations if i in new_id)
        if ids:
            remapped.append(replace(finding, citations=ids))
    return tuple(remapped)


def _excerpt_length(text: str, limit: int) -> int:
    """Length of the longest prefix of whole sentences within ``limit``, or of whole words if the
    first sentence alone is longer."""
    if len(text) <= limit:
        return len(text)
    ends = [end for _, end in sentence_spans(text) if end <= limit]
    if ends:
        return ends[-1]
    space = text.rfind(" ", 0, limit)
    return space if space > 0 else limit
