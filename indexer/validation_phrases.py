"""Pydantic's validation errors in Swedish: the phrase that follows the name of a refused value, shared by the
settings (``STADSHUS_`` variables) and the API's requests (parameters and fields)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def validation_phrase(kind: str, ctx: Mapping[str, Any]) -> str:
    """Why pydantic refused a value, from its error ``type`` and ``ctx``: a Swedish phrase that follows the
    value's name ("måste vara ett heltal"). Phrases whose words agree with the name (tom/tomt, lång/långt)
    are left to the caller, which knows what it names; anything else is "har ett ogiltigt värde"."""
    if kind == "missing":
        return "saknas"
    if kind == "extra_forbidden":
        return "finns inte"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "måste vara ett heltal"
    if kind in ("float_parsing", "float_type"):
        return "måste vara ett tal"
    if kind in ("string_type", "string_unicode"):
        return "måste vara text"
    if kind == "string_pattern_mismatch":
        return "har otillåtna tecken eller fel form"
    if kind in ("greater_than_equal", "greater_than"):
        return f"måste vara minst {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"får vara högst {ctx.get('le', ctx.get('lt'))}"
    if kind in ("enum", "literal_error"):
        return f"måste vara något av {str(ctx.get('expected')).replace(' or ', ' eller ')}"
    if kind in ("bool_parsing", "bool_type"):
        return "måste vara true eller false"
    return "har ett ogiltigt värde"
