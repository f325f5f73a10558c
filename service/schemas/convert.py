"""Building a response model from the internal types whose fields it shares."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


def from_attributes(model: type[Model], *sources: object, **values: Any) -> Model:
    """``model`` with ``values`` for the fields given, and each other field taken from the attribute of the
    same name of the first of ``sources`` that has one. Nested internal types become their models the same
    way (pydantic's ``from_attributes``), so only the fields whose names differ are written out."""
    found = dict(values)
    for name in model.model_fields.keys() - values.keys():
        source = next((source for source in sources if hasattr(source, name)), None)
        if source is not None:
            found[name] = getattr(source, name)
    return model.model_validate(found, from_attributes=True)
