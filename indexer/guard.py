"""The shrink guard: a build that would lose most of the corpus is refused before anything is embedded.

An unmounted share, a mistyped folder or a half-copied corpus looks to the indexer like a corpus whose
documents were deleted; publishing it would empty the running service. Such a build is refused with a
message saying what it would lose, unless the operator says it is meant (``stadshus index --allow-shrink``).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from .storage import IndexProblem, Manifest, read_manifest, served_build

if TYPE_CHECKING:
    from .qdrant_store import QdrantTarget

#: How many of the documents a build would lose the refusal names.
NAMED = 5


class BuildRefused(IndexProblem):
    """The build was not published; the message (Swedish) says why and what to do."""


def check_corpus_folder(corpus_dir: Path) -> None:
    """Refuse a corpus folder that does not exist or is not a folder (never published, even when allowed)."""
    if not corpus_dir.exists():
        raise BuildRefused(
            f"Dokumentmappen {corpus_dir} finns inte (är sökvägen felstavad, eller är en nätverksdisk inte "
            "monterad?). Inget nytt index byggdes; det som används nu fortsätter att användas."
        )
    if not corpus_dir.is_dir():
        raise BuildRefused(f"{corpus_dir} är ingen mapp. Inget nytt index byggdes.")


def served_manifest(index_dir: Path, qdrant: QdrantTarget | None = None) -> Manifest | None:
    """The manifest of the build served now (``qdrant``: by its alias), or None when there is none (or it is
    unreadable)."""
    try:
        return read_manifest(served_build(index_dir, qdrant))
    except IndexProblem:
        return None


def check_shrink(
    served: Manifest | None,
    documents: Collection[str],
    corpus_dir: Path,
    max_shrink: float,
    deleted: Collection[str] = (),
) -> None:
    """Refuse a build of ``documents`` (document ids) that is empty, or that loses more than ``max_shrink`` of
    the served build's documents; documents ``deleted`` on purpose (through the API) are not counted lost."""
    kept = f"det som används nu ({len(served.documents)} dokument) fortsätter att användas" if served else (
        "inget index publicerades"
    )
    if not documents:
        raise BuildRefused(
            f"Dokumentmappen {corpus_dir} innehåller inga dokument som går att läsa, så indexet skulle bli tomt; "
            f"{kept}. Är mappen rätt? Kör `stadshus index --allow-shrink` om ett tomt index är meningen."
        )
    if served is None or not served.documents:
        return
    lost = sorted(set(served.documents) - set(documents) - set(deleted))
    share = len(lost) / len(served.documents)
    if share > max_shrink:
        named = ", ".join(lost[:NAMED]) + (f" och {len(lost) - NAMED} till" if len(lost) > NAMED else "")
        raise BuildRefused(
            f"Det nya indexet skulle tappa {len(lost)} av {len(served.documents)} dokument ({share:.0%}; gränsen "
            f"är {max_shrink:.0%}, STADSHUS_MAX_SHRINK) jämfört med det som används nu: {named}. "
            f"Inget nytt index publicerades; {kept}. Är {corpus_dir} rätt mapp, och är den fullständig? "
            "Kör `stadshus index --allow-shrink` om det är meningen."
        )
