"""Failure notifications: a failed flow run tells its code owners on the office's chat.

The message goes to a Discord-compatible webhook whose URL is the `url` key of a
Vault secret (`PIPELINES_DISCORD_WEBHOOK_SECRET_PATH`). It names the flow, the failed
task and its message, links the run in the Prefect UI (`PIPELINES_PREFECT_UI_URL`)
and mentions each owner by the Discord id kept in `pipelines/owners.toml`.
"""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import prefect
from prefect.engine.state import State, TriggerFailed

from pipelines.utils.exceptions import NotificationNotSentError
from pipelines.utils.log_masking import mask_secret_values, register_secret_values
from pipelines.utils.owners import OWNERS_FILE, Owner, load_owners
from pipelines.utils.prefect_ui import flow_run_url
from pipelines.utils.vault import get_vault_secret_value

# names of where the secret is, not secrets (hence the detect-secrets pragmas)
WEBHOOK_SECRET_PATH_ENV_VAR = (
    "PIPELINES_DISCORD_WEBHOOK_SECRET_PATH"  # pragma: allowlist secret
)
DEFAULT_WEBHOOK_SECRET_PATH = (
    "discord_webhooks/flow_failures"  # pragma: allowlist secret
)
WEBHOOK_SECRET_KEY = "url"  # pragma: allowlist secret
WEBHOOK_TIMEOUT_ENV_VAR = "PIPELINES_WEBHOOK_TIMEOUT_SECONDS"
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 5.0

# Discord refuses messages longer than this many characters.
DISCORD_CONTENT_LIMIT = 2000
MAX_TASK_MESSAGE_LENGTH = 1000

GRAPHQL_FAILED_TASK_QUERY = """
query ($flow_run_id: uuid!) {
  task_run(
    where: {flow_run_id: {_eq: $flow_run_id}, state: {_in: ["Failed", "TimedOut"]}}
    order_by: {end_time: asc}
    limit: 1
  ) {
    map_index
    state_message
    task { name }
  }
}
"""


@dataclass(frozen=True)
class FlowFailure:
    """What the owners need to know about a failed flow run.

    Attributes:
        flow_name: the flow's name.
        task_name: the first task that failed (not one skipped because of it), if
            known.
        message: that task's state message, or the flow's when no task is known.
        run_url: the run's page in the Prefect UI, when the run has an id.
        code_owners: the owners' keys in `pipelines/owners.toml`.
    """

    flow_name: str
    task_name: str | None
    message: str
    run_url: str | None
    code_owners: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ChatMessage:
    """A webhook payload plus what could not be resolved while building it."""

    payload: dict[str, Any]
    problems: list[str]


def describe_flow_failure(flow: Any, state: State) -> FlowFailure:
    """Gathers the failed task, its message and the run link of a failed flow run.

    The failed task comes from the flow state's `result` (tasks to states), filled
    by local runs; in a run on the Prefect server, where that map is empty, it is
    asked of the server's GraphQL API.

    Args:
        flow: the flow that failed.
        state: its failed state.

    Returns:
        The description, with secret values masked in the message.
    """
    flow_run_id = prefect.context.get("flow_run_id")
    failed = find_failed_task(flow, state)
    if failed is None and flow_run_id and prefect.context.get("running_with_backend"):
        failed = _failed_task_from_backend(flow_run_id)
    task_name, message = failed if failed else (None, state.message or "")
    return FlowFailure(
        flow_name=flow.name,
        task_name=task_name,
        message=mask_secret_values(str(message or "")),
        run_url=flow_run_url(flow_run_id) if flow_run_id else None,
        code_owners=tuple(getattr(flow, "code_owners", None) or ()),
    )


def find_failed_task(flow: Any, state: State) -> tuple[str, str] | None:
    """The first task that failed in a flow state's result, and its message.

    Tasks that only failed because an upstream task did (`TriggerFailed`) are
    passed over when a task failed on its own.

    Args:
        flow: the flow, whose sorted tasks give the order.
        state: the flow's final state; its `result` maps tasks to states.

    Returns:
        `(task name, message)`, or None when the state holds no failed task.
    """
    task_states = state.result if isinstance(state.result, Mapping) else {}
    if not task_states:
        return None
    order = {task: index for index, task in enumerate(flow.sorted_tasks())}
    failures: list[tuple[bool, int, str, str]] = []
    for task, task_state in task_states.items():
        for name, failed_state in _failed_states(task, task_state):
            is_upstream_failure = isinstance(failed_state, TriggerFailed)
            position = order.get(task, len(order))
            failures.append(
                (is_upstream_failure, position, name, failed_state.message or "")
            )
    if not failures:
        return None
    _, _, name, message = min(failures, key=lambda item: (item[0], item[1]))
    return name, message


def build_chat_message(
    failure: FlowFailure, owners: Mapping[str, Owner] | None = None
) -> ChatMessage:
    """Writes the Discord message for a failed run, mentioning each owner.

    Args:
        failure: what failed, from `describe_flow_failure`.
        owners: the owners registry; `pipelines/owners.toml` by default.

    Returns:
        The payload (`content` and `allowed_mentions`) and the owners that could
        not be mentioned, each as a sentence for the log.
    """
    owners = load_owners() if owners is None else owners
    mentions: list[str] = []
    user_ids: list[str] = []
    problems: list[str] = []
    for key in failure.code_owners:
        owner = owners.get(key)
        if owner is None:
            mentions.append(f"`{key}` (not in {OWNERS_FILE.name})")
            problems.append(
                f"code owner {key!r} of flow {failure.flow_name!r} is not in "
                f"pipelines/{OWNERS_FILE.name}; add it there so it can be mentioned"
            )
        elif not owner.discord_user_id.isdigit():
            mentions.append(f"{owner.name} (no Discord id)")
            problems.append(
                f"code owner {key!r} has discord_user_id {owner.discord_user_id!r} in "
                f"pipelines/{OWNERS_FILE.name}; expected the numeric Discord user id"
            )
        else:
            mentions.append(f"<@{owner.discord_user_id}>")
            user_ids.append(owner.discord_user_id)
    if not failure.code_owners:
        problems.append(f"flow {failure.flow_name!r} declares no code owners")

    lines = [
        f":rotating_light: **Flow run failed:** {failure.flow_name}",
        (
            f"**Task:** `{failure.task_name}`"
            if failure.task_name
            else "**Task:** unknown"
        ),
        f"**Run:** {failure.run_url}" if failure.run_url else "**Run:** no flow run id",
        f"**Owners:** {' '.join(mentions) if mentions else 'none declared'}",
    ]
    room = (
        DISCORD_CONTENT_LIMIT
        - len("\n".join(lines))
        - len("\n**Message:**\n```\n\n```")
    )
    message = _shorten(
        failure.message.replace("```", "'''"), min(room, MAX_TASK_MESSAGE_LENGTH)
    )
    lines.insert(2, f"**Message:**\n```\n{message}\n```")
    payload = {
        "content": "\n".join(lines),
        "allowed_mentions": {"parse": [], "users": list(dict.fromkeys(user_ids))},
    }
    return ChatMessage(payload=payload, problems=problems)


def send_chat_message(
    webhook_url: str, payload: Mapping[str, Any], *, timeout_seconds: float
) -> None:
    """Posts a payload to a Discord-compatible webhook.

    Args:
        webhook_url: the webhook's URL (a secret: it is never logged).
        payload: the JSON body.
        timeout_seconds: how long to wait for the connection and for the answer.

    Raises:
        NotificationNotSentError: no answer in time, no connection, or a non-2xx
            status. The message holds no part of the URL; the URL's path is
            registered for masking, so chained errors show it as `***`.
    """
    import requests  # keep flow imports light

    # the path holds the webhook's token: mask it wherever it shows up alone, as in
    # the "url: /api/webhooks/..." part of requests' errors
    register_secret_values([urlsplit(webhook_url).path])
    try:
        response = requests.post(
            webhook_url, json=dict(payload), timeout=timeout_seconds
        )
    except requests.exceptions.Timeout as exc:
        raise NotificationNotSentError(
            f"The chat webhook did not answer within {timeout_seconds:g} s "
            f"({type(exc).__name__}); it may be down or slow. Raise "
            f"{WEBHOOK_TIMEOUT_ENV_VAR} if it is only slow."
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise NotificationNotSentError(
            f"The chat webhook could not be reached ({type(exc).__name__}); check the "
            f"'{WEBHOOK_SECRET_KEY}' key of the secret at {WEBHOOK_SECRET_PATH_ENV_VAR}."
        ) from exc
    if not 200 <= response.status_code < 300:
        raise NotificationNotSentError(
            f"The chat webhook answered HTTP {response.status_code}; expected 2xx. "
            "Check that the webhook still exists in the chat's settings, or try later."
        )


def notify_flow_failure(flow: Any, state: State) -> FlowFailure:
    """Tells a failed flow's code owners on the office's chat.

    Reads the webhook URL from Vault, builds the message and posts it; owners that
    cannot be mentioned are logged as warnings and named in plain text.

    Args:
        flow: the flow that failed.
        state: its failed state.

    Returns:
        The failure as described in the message.

    Raises:
        VaultSecretError: the webhook's secret could not be read.
        SecretKeyNotFoundError: the secret has no `url` key.
        NotificationNotSentError: the webhook URL is invalid or the post failed.
    """
    logger = _logger()
    failure = describe_flow_failure(flow, state)
    message = build_chat_message(failure)
    for problem in message.problems:
        logger.warning("Failure notification: %s.", problem)

    secret_path = webhook_secret_path()
    webhook_url = str(get_vault_secret_value(secret_path, WEBHOOK_SECRET_KEY)).strip()
    parts = urlsplit(webhook_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotificationNotSentError(
            f"The '{WEBHOOK_SECRET_KEY}' key of secret {secret_path!r} is not an "
            "http(s) URL; expected the chat webhook's URL, such as "
            "'https://discord.com/api/webhooks/<id>/<token>'. Fix the secret in Vault."
        )
    send_chat_message(
        webhook_url, message.payload, timeout_seconds=webhook_timeout_seconds()
    )
    logger.info(
        "Failure notification sent for flow %r to owners %r.",
        failure.flow_name,
        list(failure.code_owners),
    )
    return failure


def webhook_secret_path() -> str:
    """The Vault path of the webhook secret, from the environment or the default."""
    path = os.environ.get(WEBHOOK_SECRET_PATH_ENV_VAR, "").strip()
    return path or DEFAULT_WEBHOOK_SECRET_PATH


def webhook_timeout_seconds() -> float:
    """How long to wait for the webhook, from the environment or the default.

    Raises:
        NotificationNotSentError: the variable is set to something else than a
            positive number.
    """
    raw = os.environ.get(WEBHOOK_TIMEOUT_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_WEBHOOK_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise NotificationNotSentError(
            f"{WEBHOOK_TIMEOUT_ENV_VAR} is {raw!r}; expected a positive number of "
            f"seconds. Unset it for the default, {DEFAULT_WEBHOOK_TIMEOUT_SECONDS:g}."
        )
    return value


def _failed_states(task: Any, task_state: State) -> list[tuple[str, State]]:
    """The failed states of one task: its own, or its failed mapped children's."""
    if task_state.is_mapped():
        return [
            (f"{task.name}[{index}]", child)
            for index, child in enumerate(getattr(task_state, "map_states", None) or [])
            if child.is_failed()
        ]
    return [(task.name, task_state)] if task_state.is_failed() else []


def _failed_task_from_backend(flow_run_id: str) -> tuple[str, str] | None:
    """Asks the Prefect server which task of the run failed first; None if unknown."""
    import requests

    config = prefect.context.config
    headers = {}
    api_key = config.cloud.get("api_key")
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        response = requests.post(
            config.cloud.api,
            json={
                "query": GRAPHQL_FAILED_TASK_QUERY,
                "variables": {"flow_run_id": flow_run_id},
            },
            headers=headers,
            timeout=webhook_timeout_seconds(),
        )
        response.raise_for_status()
        task_runs = response.json()["data"]["task_run"]
    # the link is still sent
    except Exception as exc:  # pylint: disable=broad-exception-caught
        _logger().warning(
            "Failure notification: could not ask the Prefect API which task failed "
            "(%s); the message names no task.",
            type(exc).__name__,
        )
        return None
    if not task_runs:
        return None
    run = task_runs[0]
    name = (run.get("task") or {}).get("name") or "unknown"
    map_index = run.get("map_index")
    if isinstance(map_index, int) and map_index >= 0:
        name = f"{name}[{map_index}]"
    return name, run.get("state_message") or ""


def _shorten(text: str, limit: int) -> str:
    limit = max(limit, 20)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _logger() -> logging.Logger:
    """Prefect's context logger inside a flow run (lines reach the UI), else ours."""
    if prefect.context.get("flow_run_id"):
        return prefect.context.get("logger") or logging.getLogger(__name__)
    return logging.getLogger(__name__)
