"""The Prefect API wrapper: which failures are retried, how often, and how long it waits."""

from typing import Any, Callable

import pytest
import requests
from prefect.exceptions import ClientError

from pipelines_cli.registration.client import (
    PrefectApi,
    RetryPolicy,
    SingleAttemptClient,
    is_transient,
)
from pipelines_cli.registration.exceptions import PrefectApiError, ProjectNotFoundError


class _Client:
    """Stands for Prefect's client where only `api_server` is read."""

    api_server = "http://prefect.test/graphql"


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.reason = "Reason"
    response.url = _Client.api_server
    return requests.HTTPError(f"{status}", response=response)


def _failing(failures: list[BaseException], result: str = "ok") -> Callable[[], str]:
    remaining = list(failures)

    def operation() -> str:
        if remaining:
            raise remaining.pop(0)
        return result

    return operation


def _api(sleeps: list[float], attempts: int = 4) -> PrefectApi:
    policy = RetryPolicy(attempts=attempts, first_delay_seconds=2.0, multiplier=2.0)
    return PrefectApi(_Client(), retry=policy, sleep=sleeps.append)  # type: ignore[arg-type]


def test_retry_policy_waits_longer_after_each_failure() -> None:
    policy = RetryPolicy(attempts=4, first_delay_seconds=2.0, multiplier=2.0)

    assert [policy.delay_after(attempt) for attempt in (1, 2, 3)] == [2.0, 4.0, 8.0]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (requests.ConnectionError("refused"), True),
        (requests.Timeout("slow"), True),
        (_http_error(429), True),
        (_http_error(502), True),
        (_http_error(503), True),
        (_http_error(400), False),
        (_http_error(401), False),
        (_http_error(404), False),
        (ClientError("[{'message': 'Invalid project.'}]"), False),
        (ValueError("Project staging not found."), False),
    ],
)
def test_is_transient_retries_network_and_overload_only(
    failure: BaseException, expected: bool
) -> None:
    assert is_transient(failure) is expected


def test_call_retries_transient_failures_with_backoff() -> None:
    sleeps: list[float] = []
    operation = _failing([_http_error(502), requests.ConnectionError("reset")])

    result, attempts = _api(sleeps).call("Doing it", operation)

    assert (result, attempts) == ("ok", 3)
    assert sleeps == [2.0, 4.0]


def test_call_reports_a_refusal_at_once() -> None:
    sleeps: list[float] = []
    operation = _failing([ClientError("[{'message': 'Invalid project.'}]")])

    with pytest.raises(
        PrefectApiError, match=r"Doing it at http://prefect\.test/graphql failed: "
    ) as caught:
        _api(sleeps).call("Doing it", operation)

    assert caught.value.attempts == 1
    assert caught.value.is_transient is False
    assert "Invalid project." in str(caught.value)
    assert not sleeps


def test_call_gives_up_after_the_last_attempt() -> None:
    sleeps: list[float] = []
    operation = _failing([_http_error(503)] * 5)

    with pytest.raises(
        PrefectApiError, match="failed after 3 attempts: HTTP 503"
    ) as caught:
        _api(sleeps, attempts=3).call("Doing it", operation)

    assert caught.value.attempts == 3
    assert caught.value.is_transient is True
    assert sleeps == [2.0, 4.0]


def test_single_attempt_client_sends_a_failing_request_once(
    prefect_server: Any,
) -> None:
    prefect_server.fail("project", status=502, times=1)
    client = SingleAttemptClient()

    with pytest.raises(requests.HTTPError):
        client.graphql({"query": {"project": {"id"}}})

    assert [request.status for request in prefect_server.operations("project")] == [502]
    assert client.graphql({"query": {"project": {"id"}}}).data.project


@pytest.mark.usefixtures("prefect_server")
def test_project_id_of_a_missing_project_names_it_and_the_fix() -> None:
    api = PrefectApi(retry=RetryPolicy(attempts=1))

    with pytest.raises(
        ProjectNotFoundError,
        match="Prefect project 'nowhere' does not exist at http://127",
    ):
        api.project_id("nowhere")
    assert api.project_id("staging")
