"""The Prefect API as registration uses it: Prefect 1.4.1's own `Client`, one retry policy.

The server and its key come from Prefect's configuration, which reads the environment:
`PREFECT__BACKEND` (`server` or `cloud`), `PREFECT__CLOUD__API` (the GraphQL URL) and
`PREFECT__CLOUD__API_KEY`. Transient failures (connection errors, timeouts, HTTP 429
and 5xx) are retried with exponential backoff; a refusal by the server (a GraphQL
error, another HTTP status) is reported at once.
"""

import logging
import re
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from prefect import Flow as PrefectFlow
from prefect.client import Client
from prefect.utilities.graphql import EnumValue, with_args

from pipelines_cli.registration.exceptions import PrefectApiError, ProjectNotFoundError

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

TRANSIENT_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried after a transient failure.

    Attributes:
        attempts: sends in all, the first one included.
        first_delay_seconds: the wait after the first failure.
        multiplier: each later wait is this many times the one before.
    """

    attempts: int = 4
    first_delay_seconds: float = 2.0
    multiplier: float = 2.0

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after the given (1-based) failed attempt."""
        return self.first_delay_seconds * self.multiplier ** (attempt - 1)


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True)
class RemoteFlow:
    """The newest unarchived version of a flow in a Prefect project."""

    id: str
    name: str
    version: int
    idempotency_key: str | None
    is_schedule_active: bool


@dataclass(frozen=True)
class Registration:
    """What the server answered to a registration."""

    flow_id: str
    version: int
    attempts: int


class SingleAttemptClient(Client):
    """Prefect's client with each HTTP request sent once: `PrefectApi` does the retrying.

    Prefect mounts urllib3 retries on every session it opens (six tries, up to a minute
    of sleeping, invisible to the caller); with two layers a failing flow would wait
    minutes and its attempts could not be counted.
    """

    def _send_request(  # pylint: disable=too-many-positional-arguments  # Prefect's signature
        self,
        session: Any,
        method: str,
        url: str,
        params: Any = None,
        headers: Any = None,
        rate_limit_counter: int = 1,
    ) -> Any:
        from requests.adapters import HTTPAdapter

        for prefix in ("http://", "https://"):
            session.mount(prefix, HTTPAdapter(max_retries=0))
        return super()._send_request(
            session,
            method,
            url,
            params=params,
            headers=headers,
            rate_limit_counter=rate_limit_counter,
        )


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is worth retrying: network trouble or an overloaded server."""
    import requests

    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return True
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        return response is not None and response.status_code in TRANSIENT_HTTP_STATUSES
    return False


def describe_failure(exc: BaseException) -> str:
    """One line for a failed call: HTTP status and URL, or the server's message."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        return f"HTTP {response.status_code} {response.reason} from {response.url}"
    if isinstance(exc, requests.ConnectionError):
        cause = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
        return (
            f"cannot connect ({cause.group(0) if cause else type(exc).__name__}); check "
            "that the server is up, that PREFECT__BACKEND=server and that "
            "PREFECT__CLOUD__API points at its GraphQL URL"
        )
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:500]}"


class PrefectApi:
    """The calls registration makes, each with the retry policy.

    Args:
        client: a Prefect `Client`; by default one configured from the environment.
        retry: the retry policy for transient failures.
        sleep: how to wait between attempts (replaced in tests).
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client if client is not None else SingleAttemptClient()
        self.retry = retry
        self._sleep = sleep
        # NOTE: Prefect warns once per process that flows without a `result` lose
        # input caching in the UI; flows here run from their module in the image and
        # choose their results themselves, so the warning is noise in CI logs.
        warnings.filterwarnings("ignore", message="No result handler was specified")

    @property
    def url(self) -> str:
        """The GraphQL URL the client talks to."""
        return str(self.client.api_server)

    def call(self, what: str, operation: Callable[[], Result]) -> tuple[Result, int]:
        """Runs one API operation, retrying it after transient failures.

        Args:
            what: the operation in words, for log lines and errors ("Registering ...").
            operation: the call; it must be safe to repeat.

        Returns:
            The operation's result and the number of attempts it took.

        Raises:
            PrefectApiError: a permanent failure, or transient ones on every attempt.
        """
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return operation(), attempt
            # pylint: disable-next=broad-exception-caught  # classified just below
            except Exception as exc:
                transient = is_transient(exc)
                if not transient or attempt == self.retry.attempts:
                    tries = f" after {attempt} attempts" if attempt > 1 else ""
                    raise PrefectApiError(
                        f"{what} at {self.url} failed{tries}: {describe_failure(exc)}",
                        attempts=attempt,
                        is_transient=transient,
                    ) from exc
                delay = self.retry.delay_after(attempt)
                logger.warning(
                    "%s failed with a transient error (%s), attempt %d of %d; "
                    "retrying in %.1f s.",
                    what,
                    describe_failure(exc),
                    attempt,
                    self.retry.attempts,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def project_id(self, project: str) -> str:
        """The id of a project, by name.

        Raises:
            ProjectNotFoundError: no project has that name.
            PrefectApiError: the server could not be asked.
        """
        query = {
            "query": {
                with_args("project", {"where": {"name": {"_eq": project}}}): {"id"}
            }
        }
        result, _ = self.call(
            f"Looking up Prefect project {project!r}",
            lambda: self.client.graphql(query),
        )
        projects = result.data.project
        if not projects:
            raise ProjectNotFoundError(
                f"Prefect project {project!r} does not exist at {self.url}; check "
                f"--project, or create it once with: prefect create project {project!r}"
            )
        return str(projects[0].id)

    def project_flows(self, project_id: str) -> dict[str, RemoteFlow]:
        """The newest unarchived version of every flow of a project, by name."""
        arguments = {
            "where": {"project_id": {"_eq": project_id}, "archived": {"_eq": False}},
            "order_by": {"version": EnumValue("desc")},
        }
        query = {
            "query": {
                with_args("flow", arguments): {
                    "id": True,
                    "name": True,
                    "version": True,
                    "is_schedule_active": True,
                    "flow_group": {"settings": True},
                }
            }
        }
        result, _ = self.call(
            "Listing the flows of the project", lambda: self.client.graphql(query)
        )
        flows: dict[str, RemoteFlow] = {}
        for row in result.data.flow:
            if row.name in flows:
                continue
            settings = (row.flow_group or {}).get("settings") or {}
            flows[row.name] = RemoteFlow(
                id=str(row.id),
                name=row.name,
                version=int(row.version),
                idempotency_key=settings.get("idempotency_key"),
                is_schedule_active=bool(row.is_schedule_active),
            )
        return flows

    def register(
        self,
        flow: PrefectFlow,
        *,
        project: str,
        idempotency_key: str,
        activate_schedule: bool,
    ) -> Registration:
        """Registers a prepared flow with `Client.register`, then reads its version.

        Repeating a registration is safe: with the same idempotency key the server
        returns the version it already holds.

        Raises:
            PrefectApiError: the server refused the flow, or could not be reached.
        """
        flow_id, attempts = self.call(
            f"Registering flow {flow.name!r} in project {project!r}",
            lambda: self.client.register(
                flow,
                project_name=project,
                build=False,
                set_schedule_active=activate_schedule,
                no_url=True,
                idempotency_key=idempotency_key,
            ),
        )
        query = {"query": {with_args("flow_by_pk", {"id": flow_id}): {"version": True}}}
        result, _ = self.call(
            f"Reading the version of flow {flow.name!r}",
            lambda: self.client.graphql(query),
        )
        return Registration(str(flow_id), int(result.data.flow_by_pk.version), attempts)

    def create_flow_run(
        self,
        flow_id: str,
        *,
        parameters: Mapping[str, Any],
        labels: list[str] | None,
        run_name: str | None = None,
    ) -> str:
        """Starts a run of a registered flow now; returns the flow run's id.

        One idempotency key covers every attempt, so a retried call never starts a
        second run.
        """
        key = uuid.uuid4().hex
        run_id, _ = self.call(
            "Creating the flow run",
            lambda: self.client.create_flow_run(
                flow_id=flow_id,
                parameters=dict(parameters),
                labels=labels,
                run_name=run_name,
                idempotency_key=key,
            ),
        )
        return str(run_id)

    def flow_run_url(self, flow_run_id: str) -> str:
        """The flow run's page in the Prefect UI, with the server's tenant slug."""
        from pipelines.utils.prefect_ui import flow_run_url

        slug, _ = self.call(
            "Looking up the tenant", self.client.get_default_tenant_slug
        )
        return flow_run_url(flow_run_id, tenant_slug=slug)
