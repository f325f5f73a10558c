"""The `stadshus` command: a thin layer over the library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from indexer.embedders import EmbedderError
from indexer.settings import get_settings
from indexer.storage import IndexProblem

from .search import Filters, QueryError, SearchMode

app = typer.Typer(help="Stadshus: semantic search and cited answers over Swedish municipal documents.", no_args_is_help=True)
console = Console(stderr=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def fail(message: str, code: int = 1) -> None:
    """Print a clear error (no traceback) and exit non-zero."""
    console.print(f"[red]Fel:[/red] {message}")
    raise typer.Exit(code)


def _engine():
    from .engine import load_engine

    try:
        return load_engine(get_settings())
    except (IndexProblem, EmbedderError) as exc:
        fail(str(exc))


@app.command()
def index(
    path: Annotated[Optional[Path], typer.Argument(help="Corpus folder (default: STADSHUS_CORPUS_DIR).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Build or update the index; only changed passages are embedded again."""
    from indexer.pipeline import build_index

    settings = get_settings()
    if path is not None and not path.is_dir():
        fail(f"{path} är ingen mapp")
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), console=console, disable=json_output) as bar:
        task = bar.add_task("Bäddar in textstycken", total=None)

        def progress(_: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = build_index(settings, corpus_dir=path, progress=progress)
        except (IndexProblem, EmbedderError, FileNotFoundError) as exc:
            fail(str(exc))
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


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("--k", help="Number of results.")] = 10,
    mode: Annotated[SearchMode, typer.Option(help="hybrid, dense or bm25.")] = SearchMode.hybrid,
    district: Annotated[Optional[list[str]], typer.Option(help="Only passages about this district.")] = None,
    doc: Annotated[Optional[list[str]], typer.Option(help="Only passages of this document id.")] = None,
    year_from: Annotated[Optional[int], typer.Option(help="Only documents covering this year or later.")] = None,
    year_to: Annotated[Optional[int], typer.Option(help="Only documents covering this year or earlier.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Search the documents; prints the passages, best first."""
    from .schemas import search_response

    engine = _engine()
    filters = Filters(tuple(district or ()), tuple(doc or ()), year_from, year_to)
    try:
        passages = engine.searcher.search(query, k, mode, filters)
    except QueryError as exc:
        fail(str(exc), 2)
    response = search_response(query, mode.value, passages)
    if json_output:
        print(response.model_dump_json())
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
    json_output: JsonOption = False,
) -> None:
    """Answer a question in Swedish, citing the passages that say so."""
    from .schemas import ask_response

    engine = _engine()
    try:
        answer = engine.answerer.ask(question, district)
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (they share the memory-mapped index).")] = 1,
) -> None:
    """Serve the HTTP API and the web page."""
    import uvicorn

    uvicorn.run("service.api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command("eval")
def evaluate(
    split: Annotated[str, typer.Option(help="Which gold questions: test, dev or all.")] = "test",
    systems: Annotated[Optional[list[str]], typer.Option("--system", help="A system or group (repeatable; default all).")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not rewrite eval/report.md.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Evaluate search and answers on the gold questions, beside the baselines; writes eval/report.md."""
    from eval.run import main as run_evaluation

    raise typer.Exit(run_evaluation(split, systems, json_output, write_report=not no_report))


def main() -> None:
    """Entry point that never shows a traceback for a broken pipe."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)
