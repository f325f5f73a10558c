"""The checks the settings run on their values (secrets, reviewer keys, URLs), and why a value was refused,
in Swedish and naming its ``STADSHUS_`` variable, never repeating the value (it may be a secret)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr

from .validation_phrases import validation_phrase

ENV_PREFIX = "STADSHUS_"
#: Shortest secret accepted (the admin key, each reviewer key): a shared secret, not a password to remember.
MIN_SECRET_LENGTH = 16
# HTTP header values are Latin-1 and trimmed of surrounding spaces: a key with spaces or letters such as
# "å" would never match what a client sends, so a key is visible ASCII only.
VISIBLE_ASCII = re.compile(r"[!-~]+")


class Invalid(ValueError):
    """A refused setting value; the message is Swedish, a phrase that follows the variable's name."""


def variable(field: str) -> str:
    """The environment variable of a settings field."""
    return ENV_PREFIX + field.upper()


def check_secret(value: Any) -> str:
    """The text of a secret: at least ``MIN_SECRET_LENGTH`` visible ASCII characters, never empty."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(text, str):
        raise Invalid("måste vara text")
    if not text:
        raise Invalid(f"är tom; en nyckel har minst {MIN_SECRET_LENGTH} tecken")
    if len(text) < MIN_SECRET_LENGTH:
        raise Invalid(f"är kortare än {MIN_SECRET_LENGTH} tecken")
    if not VISIBLE_ASCII.fullmatch(text):
        raise Invalid("får bara innehålla synliga ASCII-tecken (inga mellanslag och inga å, ä, ö)")
    return text


#: A secret the service checks requests against (``check_secret``), kept out of reprs and logs.
Secret = Annotated[SecretStr, BeforeValidator(check_secret)]


def check_http_url(value: Any) -> Any:
    """``value`` if it is an http(s) URL with a host (None passes: the setting is off)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("måste vara en adress (http:// eller https://)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading the port is what checks it
    except ValueError:
        raise Invalid("är ingen giltig adress") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("måste börja med http:// eller https:// och ha ett värdnamn")
    return value


def check_database_url(value: Any) -> Any:
    """``value`` if SQLAlchemy reads it as a SQLite file or a PostgreSQL database (None passes: no database)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Invalid("måste vara en databasadress, t.ex. sqlite:///data/stadshus.db")
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise Invalid("är ingen giltig databasadress (t.ex. sqlite:///data/stadshus.db)") from None
    backend = url.get_backend_name()
    if backend == "sqlite" and (not url.database or url.database == ":memory:"):
        raise Invalid("måste peka på en SQLite-fil, t.ex. sqlite:///data/stadshus.db")
    if backend not in ("sqlite", "postgresql") or url.drivername not in ("sqlite", "postgresql", "postgresql+psycopg"):
        raise Invalid("måste vara en sqlite:///- eller postgresql+psycopg://-adress")
    return value


def parse_reviewer_keys(value: Any) -> dict[str, SecretStr]:
    """Reviewers and their keys from ``name:key,name:key``, a JSON object or a mapping.

    Refuses (``Invalid``) an entry without a name or a colon, broken JSON, a key that is not a secret
    (``check_secret``), a reviewer named twice, or a key given to two reviewers.
    """
    if isinstance(value, str):
        value = value.strip()
        pairs = _json_pairs(value) if value.startswith("{") else [_name_and_key(i, e) for i, e in _entries(value)]
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        raise Invalid("ska skrivas namn:nyckel,namn:nyckel eller som ett JSON-objekt")
    keys: dict[str, SecretStr] = {}
    for name, key in pairs:
        if not isinstance(name, str) or not name.strip():
            raise Invalid("har en nyckel utan namn (skriv namn:nyckel)")
        try:
            text = check_secret(key)
        except Invalid as exc:
            raise Invalid(f"ger granskaren {name} en nyckel som {exc}") from None
        if name in keys:
            raise Invalid(f"nämner granskaren {name} flera gånger; varje granskare har en nyckel")
        keys[name] = SecretStr(text)
    if len({key.get_secret_value() for key in keys.values()}) != len(keys):
        raise Invalid("ger två granskare samma nyckel; varje granskare behöver en egen")
    return keys


def _entries(value: str) -> list[tuple[int, str]]:
    """The non-empty comma-separated entries of ``value``, numbered from 1."""
    return [(number, entry) for number, entry in enumerate(value.split(","), start=1) if entry.strip()]


def _name_and_key(number: int, entry: str) -> tuple[str, str]:
    name, separator, key = entry.strip().partition(":")
    if not separator:
        # The entry is not repeated: it may be a key without its name.
        raise Invalid(f"har inget ':' i post {number} (varje granskarnyckel skrivs namn:nyckel)")
    return name.strip(), key.strip()


def _json_pairs(value: str) -> list[tuple[Any, Any]]:
    """The name-key pairs of a JSON object, in order and with repeated names kept (json.loads keeps the last)."""
    try:
        pairs = json.loads(value, object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        # The position only: the exception's own message quotes the document.
        raise Invalid(f"är inte giltig JSON (rad {exc.lineno}, kolumn {exc.colno})") from None
    if not isinstance(pairs, list):
        raise Invalid("ska skrivas namn:nyckel,namn:nyckel eller som ett JSON-objekt")
    return pairs


def refusals(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each refused field with why, in Swedish (the first reason per field)."""
    reasons: dict[str, str] = {}
    for error in errors:
        location = error.get("loc") or ("",)
        reasons.setdefault(str(location[0]), _problem(error.get("type", ""), error.get("ctx") or {}))
    return reasons


def _problem(kind: str, ctx: Mapping[str, Any]) -> str:
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        return str(cause)
    if kind in ("string_too_short", "too_short"):
        return "får inte vara tom" if ctx.get("min_length") == 1 else f"är kortare än {ctx.get('min_length')} tecken"
    if kind in ("json_invalid", "dict_type", "list_type"):
        return "är inte giltig JSON av rätt slag"
    return validation_phrase(kind, ctx)
