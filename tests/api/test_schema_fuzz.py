"""Schemathesis against the served OpenAPI schema: no generated request may cause a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.core.result import Err, Ok

from bgdesk.api.server import ApiServer
from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.paths import Paths
from bgdesk.settings import Settings

pytestmark = pytest.mark.slow  # the real model behind a real server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[tuple[str, str]]:
    core: Core = build_core(Paths.under(tmp_path_factory.mktemp("fuzz"), models_dir), Settings())
    server = ApiServer(core, "127.0.0.1", 0)
    server.start()
    core.start()
    key = core.keys.create(core.accounts.owner()).plaintext
    yield server.url, key
    server.stop()
    core.close()


def test_no_generated_request_causes_a_server_error(served: tuple[str, str]) -> None:
    url, key = served
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), [r.err() for r in results if isinstance(r, Err)]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def no_server_error(case: Case[Any]) -> None:
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}"
            )

        no_server_error()
