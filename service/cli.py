"""The `stadshus` command: a thin layer over the library functions."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indexer.problems import EmbedderError, IndexProblem, RecordError
from indexer.settings import SettingsInvalid, get_settings

from .query import Filters, QueryError, SearchMode

app = typer.Typer(help="Stadshus: semantic search and cited answers over Swedish municipal documents.", no_args_is_help=True)
console = Console(stderr=True)
BUILD_STAGES = {
    "reading": "Läser filer",
    "embedding": "Bäddar in textstycken",
    "sentences": "Bäddar in meningar",
    "qdrant": "Skriver textstycken till Qdrant",
    "qdrant-sentences": "Skriver meningar till Qdrant",
}
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def fail(message: str, code: int = 1) -> None:
    """Print a clear error (no traceback) and exit non-zero."""
    console.print(f"[red]Fel:[/red] {message}")
    raise typer.Exit(code)


@app.callback()
def check_settings() -> None:
    """Check the STADSHUS_* settings before any command: a refused value stops it (exit code 2)."""
    try:
        get_settings()
    except SettingsInvalid as exc:
        fail(str(exc), 2)


def _engine():

    from .engine import load_engine

    settings = get_settings()
    try:
        return load_engine(settings)
    except (IndexProblem, EmbedderError) as exc:
        fail(index_message(exc))


def index_message(exc: Exception) -> str:
    """What an operator reads when the index cannot be used: Swedish first, then the cause."""
    from indexer.storage import IndexCorrupt, IndexMissing

    if isinstance(exc, IndexMissing):
        return f"Det finns inget sökindex ännu. Bygg det med `stadshus index`. ({exc})"
    if isinstance(exc, (IndexCorrupt, RecordError)):
        return f"Sökindexet är skadat. Bygg om det med `stadshus index`. ({exc})"
    return str(exc)


@app.command()
def index(
    path: Annotated[Optional[Path], typer.Argument(help="Corpus folder (default: STADSHUS_CORPUS_DIR).")] = None,
    allow_shrink: Annotated[
        bool, typer.Option("--allow-shrink", help="Publish even a build that is empty or loses most documents.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Build or update the index; only changed passages are embedded again."""
    from indexer.buildlog import error_text
    from indexer.guard import check_corpus_folder
    from indexer.pipeline import build_index

    settings = get_settings()
    try:
        # Said before any progress is shown: a mistyped or unmounted folder is the commonest mistake.
        check_corpus_folder(Path(path or settings.corpus_dir))
    except IndexProblem as exc:
        fail(str(exc))
    with _build_progress(disabled=json_output) as progress:
        try:
            report = build_index(settings, corpus_dir=path, progress=progress, allow_shrink=allow_shrink)
        except (IndexProblem, EmbedderError) as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"Indexet kunde inte skrivas i {settings.index_dir} ({error_text(exc)}); det som används nu "
                 "fortsätter att användas. Har tjänsten skrivrätt till mappen, och finns det plats på disken?")
    summary = {
        "documents": report.documents,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "reused": report.reused,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "seconds": round(report.seconds, 2),
        "over_embedder_window": report.over_window,
        "index": str(report.build),
    }
    if json_output:
        print(json.dumps(summary, ensure_ascii=False))
        return
    console.print(
        f"Indexerade {report.documents} dokument, {report.chunks} textstycken "
        f"({report.embedded} nya inbäddningar, {report.reused} återanvända) på {report.seconds:.1f} s."
    )
    if report.over_window:
        console.print(
            f"  [yellow]Varning:[/yellow] {len(report.over_window)} textstycken är längre än modellens fönster "
            f"({settings.max_embed_tokens} token) och kortas av vid inbäddning; sänk STADSHUS_CHUNK_TOKENS."
        )
    for skipped in report.skipped:
        console.print(f"  [yellow]Hoppade över[/yellow] {skipped.path}: {skipped.reason}")


@contextlib.contextmanager
def _build_progress(disabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback for a build: a bar on a terminal, otherwise a line at each tenth of the work (an
    operator following a log sees the build move)."""
    if disabled or not console.is_terminal:
        printed: set[tuple[str, int]] = set()

        def log(stage: str, done: int, total: int) -> None:
            step = (stage, 10 * done // total if total else 10)
            if not disabled and step not in printed:
                printed.add(step)
                console.print(f"{BUILD_STAGES.get(stage, stage)}: {done} av {total}", soft_wrap=True, highlight=False)

        yield log
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), console=console) as bar:
        task = bar.add_task(BUILD_STAGES["reading"], total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=BUILD_STAGES.get(stage, stage), completed=done, total=total)

        yield update


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("--k", help="Number of results.")] = 10,
    offset: Annotated[int, typer.Option(help="Hits to skip (paging).")] = 0,
    mode: Annotated[SearchMode, typer.Option(help="hybrid, dense or bm25.")] = SearchMode.hybrid,
    district: Annotated[Optional[list[str]], typer.Option(help="Only passages about this district.")] = None,
    doc: Annotated[Optional[list[str]], typer.Option(help="Only passages of this document id.")] = None,
    year_from: Annotated[Optional[int], typer.Option(help="Only documents covering this year or later.")] = None,
    year_to: Annotated[Optional[int], typer.Option(help="Only documents covering this year or earlier.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Search the documents; prints the passages that pass the relevance floor, best first."""
    from .results import search_page
    from .schemas.search import search_response

    engine = _engine()
    filters = Filters(tuple(district or ()), tuple(doc or ()), year_from, year_to)
    try:
        page = search_page(engine, query, offset, k, mode, filters)
    except QueryError as exc:
        fail(str(exc), 2)
    response = search_response(mode.value, page, engine.index.documents.infos)
    if json_output:
        print(response.model_dump_json())
        return
    if not response.results:
        console.print("Inga träffar.")
        return
    table = Table(show_lines=True)
    for column in ("#", "dokument", "stadsdel", "avsnitt", "text"):
        table.add_column(column)
    for result in response.results:
        also = f"\n(även i {', '.join(result.also_in)})" if result.also_in else ""
        table.add_row(str(result.rank), result.doc_id + also, ", ".join(result.districts), result.section, result.text)
    Console().print(table)


@app.command()
def ask(
    question: str,
    district: Annotated[Optional[str], typer.Option(help="Answer only from passages about this district.")] = None,
    doc: Annotated[Optional[str], typer.Option(help="Answer only from this document id.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Answer only from documents covering this year.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Answer a question in Swedish (or English), citing the passages that say so; a question about what
    changed in a report compares its versions, as the API does."""
    from .schemas.ask import ask_response

    engine = _engine()
    try:
        filters = Filters(doc_ids=(doc,) if doc else (), year_from=year, year_to=year)
        answer = engine.answerer.ask(question, district, filters)
    except QueryError as exc:
        fail(str(exc), 2)
    response = ask_response(answer)
    if json_output:
        print(response.model_dump_json())
        return
    out = Console()
    out.print(response.answer)
    for citation in response.citations:
        page = f", s. {citation.page}" if citation.page else ""
        out.print(f"[{citation.id}] {citation.title} – {citation.section}{page}\n    ”{citation.quote}”")
    for note in response.notes:
        out.print(f"[dim]{note}[/dim]")


@app.command("coverage")
def coverage_command(
    query: str,
    year_from: Annotated[Optional[int], typer.Option(help="Only documents covering this year or later.")] = None,
    year_to: Annotated[Optional[int], typer.Option(help="Only documents covering this year or earlier.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Which districts (and city-wide organisations) work with a topic, with quotes, and which do not."""
    from .coverage import coverage
    from .schemas.coverage import coverage_response

    engine = _engine()
    try:
        table = coverage(engine, query, year_from, year_to)
    except QueryError as exc:
        fail(str(exc), 2)
    response = coverage_response(table)
    if json_output:
        print(response.model_dump_json())
        return
    out = Table(show_lines=True, title=f"Översikt: {response.query}")
    for column in ("stadsdel/organisation", "status", "involvering", "bästa poäng", "belägg"):
        out.add_column(column)
    for row in response.rows:
        status = "belägg" if row.status == "evidence" else "[dim]inga belägg hittades[/dim]"
        quotes = "\n".join(f"[{e.id}] ”{e.quote}” ({e.doc_id})" for e in row.evidence)
        out.add_row(row.name, status, row.involvement or "–", f"{row.best_score:.2f}", escape(quotes))
    Console().print(out)


@app.command("compare")
def compare_command(
    earlier: Annotated[str, typer.Argument(help="The earlier version's document id.")],
    later: Annotated[str, typer.Argument(help="The later version's document id.")],
    json_output: JsonOption = False,
) -> None:
    """What changed between two versions of a report, section by section."""
    from .schemas.versions import comparison_response
    from .versions import UnknownDocument, compare

    engine = _engine()
    try:
        response = comparison_response(compare(engine, earlier, later))
    except UnknownDocument as exc:
        fail(str(exc), 2)
    if json_output:
        print(response.model_dump_json())
        return
    out = Console()
    out.print(f"Jämför {escape(response.title_a)} (tidigare) med {escape(response.title_b)} (senare).")
    labels = {"added": "nytt avsnitt", "removed": "borttaget avsnitt", "changed": "ändrat", "unchanged": "oförändrat"}
    for change in response.sections:
        if change.status == "unchanged":
            continue
        out.print(f"\n[bold]{escape(change.section_b or change.section_a or '')}[/bold] ({labels[change.status]})")
        for sentence in change.added:
            out.print(f"[green]+ {escape(sentence.text)}[/green]")
        for sentence in change.removed:
            out.print(f"[red]- {escape(sentence.text)}[/red]")
    plural = {"added": "nya avsnitt", "removed": "borttagna avsnitt", "changed": "ändrade", "unchanged": "oförändrade"}
    counts = {status: sum(c.status == status for c in response.sections) for status in plural}
    out.print("\n" + ", ".join(f"{counts[status]} {label}" for status, label in plural.items()) + ".")


@app.command("similar")
def similar_command(
    chunk_id: Annotated[str, typer.Argument(help="The passage's chunk id, as search results give it.")],
    k: Annotated[int, typer.Option("--k", help="Number of passages.")] = 10,
    all_districts: Annotated[
        bool, typer.Option("--all-districts", help="Also passages about the passage's own districts.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Passages like this one in other documents and, by default, other districts."""
    from .schemas.similar import similar_response
    from .similar import UnknownChunk, similar_passages

    engine = _engine()
    try:
        passages = similar_passages(engine, chunk_id, k, other_districts_only=not all_districts)
    except (UnknownChunk, QueryError) as exc:
        fail(str(exc), 2)
    response = similar_response(chunk_id, passages)
    if json_output:
        print(response.model_dump_json())
        return
    out = Table(show_lines=True)
    for column in ("#", "dokument", "stadsdel", "avsnitt", "text"):
        out.add_column(column)
    for result in response.results:
        out.add_row(str(result.rank), result.doc_id, ", ".join(result.districts), result.section, escape(result.text))
    Console().print(out)


review_app = typer.Typer(help="Answer review: what reviewers judged, as candidate gold questions.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export(
    path: Annotated[Path, typer.Argument(help="The JSON Lines file to write.")] = Path("data/review-candidates.jsonl"),
    json_output: JsonOption = False,
) -> None:
    """Write the judged answers that give a gold answer as candidates in eval/gold's format."""
    from indexer.qdrant_store import QdrantTarget
    from indexer.storage import load_index

    from .reviews.export import export_candidates
    from .reviews.store import ReviewStore, ReviewStoreUnavailable

    settings = get_settings()
    if settings.refused:
        fail(f"granskningsinställningarna är ogiltiga: {'; '.join(settings.refused.values())}")
    try:
        index = load_index(
            Path(settings.index_dir), settings.embedder, settings.fuzzy_max_distance, qdrant=QdrantTarget.from_settings(settings)
        )
    except IndexProblem as exc:
        fail(str(exc))
    try:
        store = ReviewStore.open(settings.db_url)
    except ReviewStoreUnavailable as exc:
        fail(str(exc))
    try:
        corpus = Path(settings.corpus_dir)
        report = export_candidates(store, index, path, corpus_dir=corpus if corpus.is_dir() else None)
    except OSError as exc:
        fail(f"kan inte skriva {path}: {exc.strerror or exc}")
    finally:
        store.close()
    if json_output:
        skipped = [{"answer_id": answer_id, "reason": reason} for answer_id, reason in report.skipped]
        print(json.dumps({"path": str(report.path), "written": report.written, "skipped": skipped}, ensure_ascii=False))
        return
    console.print(f"Skrev {report.written} kandidater till {report.path}.")
    for answer_id, reason in report.skipped:
        console.print(f"  [yellow]Hoppade över[/yellow] svar {answer_id}: {escape(reason)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (they share the memory-mapped index).")] = 1,
) -> None:
    """Serve the HTTP API and the web page, the workers watched by a supervisor that restarts one that dies."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "service.api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )
    # Under uvicorn's supervisor even with one worker: a worker that dies (a file of its index build cut
    # short under its memory map ends it with SIGBUS) is started again, and checks the build as it loads it.
    Multiprocess(config, sockets=[config.bind_socket()]).run()


class McpTransport(str, Enum):
    """How an MCP client reaches the server."""

    stdio = "stdio"
    http = "http"


@app.command("mcp")
def mcp_command(
    transport: Annotated[McpTransport, typer.Option(help="stdio (the client starts the command) or http (streamable HTTP).")] = McpTransport.stdio,
    host: Annotated[str, typer.Option(help="Address to listen on (http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (http); the endpoint is /mcp.")] = 8001,
) -> None:
    """Serve the tools (search, ask, coverage, compare, read_document) to an assistant over the Model Context Protocol."""
    from .mcp_server import create_mcp_server

    server = create_mcp_server(_engine())
    if transport is McpTransport.stdio:
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)


@app.command("eval")
def evaluate(
    split: Annotated[str, typer.Option(help="Which gold questions: test, dev or all.")] = "test",
    systems: Annotated[Optional[list[str]], typer.Option("--system", help="A system or group (repeatable; default all).")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not rewrite eval/report.md.")] = False,
    reviews: Annotated[
        Optional[Path],
        typer.Option("--reviews", help="Also score review candidates (from `stadshus review export`), reported apart."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Evaluate search and answers on the gold and research questions, beside the baselines; writes eval/report.md."""
    from eval.run import main as run_evaluation

    raise typer.Exit(run_evaluation(split, systems, json_output, write_report=not no_report, reviews=reviews))


def main() -> None:
    """Entry point that never shows a traceback for a broken pipe or a damaged index record."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)
    except RecordError as exc:  # a damaged record met while answering, after the index loaded
        console.print(f"[red]Fel:[/red] {escape(index_message(exc))}")
        sys.exit(1)
