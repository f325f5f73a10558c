"""The schema is the contract: what /openapi.json declares is what the server enforces.

Routes declare their constraints where FastAPI puts them in the schema. Two limits come from the settings,
so the app's schema takes them from its settings: the largest ``k`` (``max_k``) and the longest query or
question (``max_query_chars``). What OpenAPI cannot express (a parameter whose bounds depend on another's,
a body over 64 kB, an answer the service must have signed) is listed in docs/api.md and named in
schemathesis.toml. A 405 lists in ``Allow`` every method the schema gives the address.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from indexer.settings import Settings

#: Query parameters whose limit is a setting: (name, JSON Schema keyword, setting).
SETTINGS_LIMITS = (("k", "maximum", "max_k"), ("q", "maxLength", "max_query_chars"))
#: Body schemas whose ``question`` is a query of the searcher (``max_query_chars``).
QUESTION_SCHEMAS = ("AskQuery", "AskRequest")
#: A path parameter of an OpenAPI path template, ``{name}``.
PARAMETER = re.compile(r"\{[^}/]+\}")
HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


def with_settings_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``schema`` (FastAPI's) with the limits the settings set, as the server enforces them."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                for name, keyword, setting in SETTINGS_LIMITS:
                    if parameter["in"] == "query" and parameter["name"] == name:
                        parameter["schema"][keyword] = getattr(settings, setting)
    components = schema.get("components", {}).get("schemas", {})
    for name in QUESTION_SCHEMAS:
        question = components.get(name, {}).get("properties", {}).get("question")
        if question is not None:
            question["maxLength"] = min(question.get("maxLength", settings.max_query_chars), settings.max_query_chars)
    return schema


def allowed_methods(request: Request) -> list[str]:
    """Every method the app's schema gives the request's address (Starlette's 405 lists only the first
    route's when several routes share an address, and none for routes FastAPI includes from a router)."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch("[^/]+".join(re.escape(part) for part in PARAMETER.split(template)), path):
            methods |= {method.upper() for method in operations if method.upper() in HTTP_METHODS}
    return sorted(methods)
