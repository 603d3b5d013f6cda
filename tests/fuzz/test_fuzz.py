"""No input makes the platform answer 5xx: schemathesis generates valid and invalid requests
for every operation of the OpenAPI document and sends them over real HTTP, as an anonymous
client, an owner, a supervisor and an administrator.

Deterministic (fixed seed, derandomised, no example database) and bounded (a fixed number
of examples per operation, no shrinking), so the tier gives the same answer in the same
time on every run. A failure names the request (as curl) and the server's traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from market.settings import Settings
from tests.fuzz.conftest import FuzzTarget
from web.app import create_app

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

# Besides these generated examples, schemathesis's coverage phase sends its own deterministic
# boundary cases (~40 per operation); 10 more x 52 operations x 4 principals is ~10,000
# requests, about two minutes on two cores. MARKET_FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("MARKET_FUZZ_EXAMPLES", "10"))
SEED = 20_261_130


def _openapi() -> dict[str, object]:
    # the app's own document, built without a database; the requests go to the served app
    app = create_app(
        Settings(home=Path("/nonexistent"), database_url="postgresql+asyncpg://u@127.0.0.1:1/none")
    )
    return app.openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_openapi())


@schemathesis.serializer("application/toml")
def _toml_text(ctx: Any, value: Any) -> bytes:
    """The calendar import takes the year file itself; the fuzzer sends whatever text (or
    other value) it drew, as UTF-8 bytes, so the server's TOML checks see it all."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _protect_principals(case: Case, target: FuzzTarget, who: str) -> dict[str, str]:
    """Keep the fuzzer from ending its own sessions, so every example keeps testing what it
    was meant to: the administrator's changes to users land on a stand-in user instead of a
    principal (a new password, a revoked role or deactivation would sign them out), and
    logging out uses a session of its own."""
    path_parameters = case.path_parameters or {}
    if "user_id" in path_parameters and path_parameters["user_id"] in target.user_ids.values():
        path_parameters["user_id"] = target.victim_id
    if case.operation.path == "/api/auth/logout" and who != "anonymous":
        return target.throwaway_session(who)
    return target.headers[who]


@pytest.mark.parametrize("who", ["anonymous", "owner", "supervisor", "admin"])
@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gives_a_server_error(case: Case, who: str, fuzz_target: FuzzTarget) -> None:
    headers = _protect_principals(case, fuzz_target, who)
    fuzz_target.calls += 1
    response = case.call(base_url=fuzz_target.url, headers=headers, timeout=60)
    incidents = fuzz_target.incidents.tracebacks
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except FailureGroup as failure:
        trace = "\n".join(incidents.values()) or "(no traceback logged)"
        request = case.as_curl_command(headers=headers, base_url=fuzz_target.url)
        fuzz_target.record_failure(who, request, trace)
        if fuzz_target.report is None:  # a hunt (MARKET_FUZZ_REPORT) goes on past the first
            raise AssertionError(f"{failure}\n\nserver log:\n{trace}") from None
    finally:
        incidents.clear()
