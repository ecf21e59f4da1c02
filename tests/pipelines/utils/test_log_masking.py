"""Secret values never leave a flow run: masked log lines, clean serialized flows."""

import io
import json
import logging
from collections.abc import Callable

import prefect
import pytest
from prefect import task

from pipelines.utils.decorators import Flow
from pipelines.utils.log_masking import (
    MASK,
    SecretMaskingFilter,
    has_secret_values,
    install_secret_masking,
    mask_secret_values,
    register_secret_values,
)
from pipelines.utils.tasks import get_secret
from pipelines_cli.vault_commands import DevVaultServer

# The canary: written to the test server, read by a flow run, and then looked for in
# every log line, captured output, serialized flow and chat payload of that run.
CANARY_VALUE = "canary-7c1e5a90-must-never-be-logged"
CANARY_PATH = "canary/database"


def _log_line(record: logging.LogRecord) -> str:
    SecretMaskingFilter().filter(record)
    return logging.Formatter("%(message)s").format(record)


def test_mask_secret_values_replaces_every_registered_value() -> None:
    register_secret_values(["s3cr3t-value", "another-one"])

    masked = mask_secret_values("user=ana password=s3cr3t-value token=another-one")

    assert masked == f"user=ana password={MASK} token={MASK}"


def test_register_secret_values_walks_nested_values_and_skips_short_ones() -> None:
    register_secret_values([{"inner": ["deep-value", 123456]}, "abc", True, None])

    assert mask_secret_values("deep-value 123456 abc True") == f"{MASK} {MASK} abc True"


def test_mask_secret_values_masks_the_repr_spelling_of_a_value() -> None:
    value = "it's\\tricky"
    register_secret_values([value])

    assert value not in mask_secret_values(f"{value}")
    assert repr(value) not in mask_secret_values(repr({"password": value}))


def test_mask_secret_values_without_registered_values_is_identity() -> None:
    text = "nothing to hide"

    assert has_secret_values() is False
    assert mask_secret_values(text) is text


def test_secret_masking_filter_masks_message_args_and_traceback() -> None:
    register_secret_values(["filter-secret-1"])
    try:
        raise ValueError("bad password filter-secret-1")
    except ValueError:
        record = logging.LogRecord(
            "prefect.Task",
            logging.ERROR,
            __file__,
            1,
            "using %s",
            ("filter-secret-1",),
            None,
        )
        import sys

        record.exc_info = sys.exc_info()

    line = _log_line(record)

    assert "filter-secret-1" not in line
    assert f"using {MASK}" in line
    assert f"ValueError: bad password {MASK}" in line
    assert record.exc_info is None


def test_secret_masking_filter_survives_a_bad_format_string() -> None:
    register_secret_values(["format-secret"])
    record = logging.LogRecord(
        "prefect", logging.INFO, __file__, 1, "%d format-secret", ("x",), None
    )

    assert _log_line(record) == f"%d {MASK}"


def test_install_secret_masking_is_idempotent_on_prefect_handlers() -> None:
    install_secret_masking()
    install_secret_masking()

    prefect_logger = logging.getLogger("prefect")
    assert sum(isinstance(f, SecretMaskingFilter) for f in prefect_logger.filters) == 1
    for handler in prefect_logger.handlers:
        assert sum(isinstance(f, SecretMaskingFilter) for f in handler.filters) == 1


@task
def use_password(password: str) -> None:
    """Logs and raises with the password, as careless code would."""
    logger = prefect.context.get("logger")
    logger.info("Connecting with password %s", password)
    logger.info(f"DSN postgresql://canary-user:{password}@127.0.0.1:5432/test")
    logger.warning("Settings: %r", {"password": password})
    raise ConnectionError(f"could not connect with password {password!r}")


def test_canary_secret_read_by_a_flow_run_appears_nowhere(
    vault_env: DevVaultServer,
    write_secret: Callable[..., str],
    http_receiver: object,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_secret(
        {"username": "canary-user", "password": CANARY_VALUE}, path=CANARY_PATH
    )
    webhook_path = write_secret({"url": http_receiver.url})
    monkeypatch.setenv("PIPELINES_DISCORD_WEBHOOK_SECRET_PATH", webhook_path)
    caplog.set_level(logging.DEBUG)
    # what the Prefect UI would show: the lines Prefect's handlers format
    ui_lines = io.StringIO()
    ui_handler = logging.StreamHandler(ui_lines)
    prefect_logger = logging.getLogger("prefect")
    prefect_logger.addHandler(ui_handler)

    with Flow("EMD: testes - Canario de segredo", code_owners=["paty"]) as flow:
        password = get_secret(CANARY_PATH, key="password")
        use_password(password)
    try:
        state = flow.run()
    finally:
        prefect_logger.removeHandler(ui_handler)
    captured = capfd.readouterr()

    assert state.is_failed()
    sources = {
        "prefect log lines": ui_lines.getvalue(),
        "pytest log capture": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "serialized flow": json.dumps(flow.serialize(), default=str),
        "chat payloads": "".join(
            request.body.decode() for request in http_receiver.requests
        ),
    }
    leaked = [name for name, text in sources.items() if CANARY_VALUE in text]
    assert leaked == []
    assert f"Connecting with password {MASK}" in ui_lines.getvalue()
    # every value of the secret is masked, the username too
    assert f"postgresql://{MASK}:{MASK}@127.0.0.1" in ui_lines.getvalue()
    assert (
        f"ConnectionError: could not connect with password '{MASK}'"
        in ui_lines.getvalue()
    )
    assert len(http_receiver.requests) == 1
    assert MASK in http_receiver.requests[0].json()["content"]
    # the webhook's URL is a secret too: urllib3's request log shows its path masked
    assert "/api/webhooks/1/fake-token" not in caplog.text
