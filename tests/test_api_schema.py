"""Schema fuzzing: schemathesis generates requests (valid and invalid) for every operation of the app's
OpenAPI schema, sends them in-process over ASGI, and checks that none makes a server error and that every
response (status, content type, body) is the one the schema documents."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.main import create_app
from tests.conftest import make_settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The schema depends on the routes only, so an app that never loads an index provides it. (Loading it from
# a fixture with schemathesis.pytest.from_fixture fails under pytest 9: it reads the removed Node._nodeid.)
schema = schemathesis.openapi.from_dict(create_app(settings=make_settings(Path("schema-only"))).openapi())


@pytest.fixture(scope="module")
def app(engine, app_settings):
    """The app that answers the generated requests: the real corpus, loaded once per session."""
    return create_app(settings=app_settings, engine=engine)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_conforms(case, app):
    case.call_and_validate(app=app, checks=CHECKS)
