"""Reading secrets from a real OpenBao dev server: shapes, settings, every error."""

import logging
import threading
import time
from collections.abc import Callable

import hvac
import pytest
from prefect import Flow as PrefectFlow
from prefect import task

from pipelines.utils import utils as rio_style_utils
from pipelines.utils.exceptions import (
    InvalidParameterError,
    SecretKeyNotFoundError,
    SecretNotFoundError,
    VaultConfigurationError,
    VaultKVVersionError,
    VaultMountNotFoundError,
    VaultPermissionDeniedError,
    VaultServerError,
    VaultTokenError,
    VaultUnreachableError,
)
from pipelines.utils.tasks import get_secret
from pipelines.utils.vault import (
    VaultSettings,
    get_username_and_password_from_secret,
    get_vault_secret,
    get_vault_secret_value,
)
from pipelines_cli.vault_commands import DevVaultServer

KV1_MOUNT = "kv1"

# fake values written to the test server
KV2_PASSWORD = "kv2-pass"  # pragma: allowlist secret
KV1_PASSWORD = "kv1-pass"  # pragma: allowlist secret
TASK_PASSWORD = "task-pass"  # pragma: allowlist secret


def _retry_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if "retrying in" in record.getMessage()]


# ---------------------------------------------------------------------------------
# Settings


def test_vault_settings_from_env_ignores_surrounding_whitespace(
    bao_server: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    write_secret: Callable[..., str],
) -> None:
    monkeypatch.setenv("VAULT_ADDRESS", f"  {bao_server.address}/ \n")
    monkeypatch.setenv("VAULT_TOKEN", f"\t{bao_server.token}\n")
    monkeypatch.setenv("VAULT_MOUNT_POINT", " secret/ ")
    path = write_secret({"user": "ana"})

    settings = VaultSettings.from_env()

    assert settings.address == bao_server.address
    assert settings.mount_point == "secret"
    assert get_vault_secret(path) == {"user": "ana"}


def test_vault_settings_repr_leaves_the_token_out(bao_server: DevVaultServer) -> None:
    settings = VaultSettings(address=bao_server.address, token=bao_server.token)

    text = repr(settings)

    assert bao_server.token not in text
    assert bao_server.address in text


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"VAULT_TOKEN": "x"}, r"VAULT_ADDRESS is not set.*pipelines vault dev"),
        ({"VAULT_ADDRESS": "   ", "VAULT_TOKEN": "x"}, r"VAULT_ADDRESS is not set"),
        (
            {"VAULT_ADDRESS": "http://127.0.0.1:8200"},
            r"VAULT_TOKEN is not set \(or blank\)",
        ),
        (
            {"VAULT_ADDRESS": "http://127.0.0.1:8200", "VAULT_TOKEN": " \n"},
            r"VAULT_TOKEN is not set",
        ),
        (
            {"VAULT_ADDRESS": "vault:8200", "VAULT_TOKEN": "x"},
            r"VAULT_ADDRESS is 'vault:8200'; expected a URL starting with 'http://'",
        ),
        (
            {"VAULT_ADDRESS": "http://a", "VAULT_TOKEN": "x", "VAULT_KV_VERSION": "3"},
            r"VAULT_KV_VERSION is '3'; expected 1 or 2",
        ),
        (
            {
                "VAULT_ADDRESS": "http://a",
                "VAULT_TOKEN": "x",
                "VAULT_TIMEOUT_SECONDS": "soon",
            },
            r"VAULT_TIMEOUT_SECONDS is 'soon'; expected a positive number",
        ),
        (
            {
                "VAULT_ADDRESS": "http://a",
                "VAULT_TOKEN": "x",
                "VAULT_MAX_ATTEMPTS": "1.5",
            },
            r"VAULT_MAX_ATTEMPTS is '1.5'; expected a positive whole number",
        ),
    ],
)
def test_get_vault_secret_bad_settings_names_variable_and_path(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], match: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(VaultConfigurationError, match=match) as raised:
        get_vault_secret("riomidia")

    assert "Cannot read secret 'riomidia'" in str(raised.value)


@pytest.mark.parametrize("secret_path", ["", "  ", "/"])
def test_get_vault_secret_empty_path_is_rejected(
    vault_env: DevVaultServer, secret_path: str
) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"secret_path is .*expected a non-empty"
    ):
        get_vault_secret(secret_path)


# ---------------------------------------------------------------------------------
# Reading


def test_get_vault_secret_kv2_returns_the_secret_own_keys(
    vault_env: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"username": "ana", "password": KV2_PASSWORD, "port": 5432})

    secret = get_vault_secret(path)

    assert secret == {"username": "ana", "password": KV2_PASSWORD, "port": 5432}


def test_get_vault_secret_kv2_reads_the_latest_version(
    vault_env: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"token": "first-version"})
    write_secret({"token": "second-version"}, path=path)

    assert get_vault_secret(path) == {"token": "second-version"}


def test_get_vault_secret_kv1_mount(
    vault_env: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    write_secret: Callable[..., str],
) -> None:
    path = write_secret(
        {"username": "bia", "password": KV1_PASSWORD},
        mount_point=KV1_MOUNT,
        kv_version=1,
    )
    monkeypatch.setenv("VAULT_MOUNT_POINT", KV1_MOUNT)
    monkeypatch.setenv("VAULT_KV_VERSION", "1")

    assert get_vault_secret(path) == {"username": "bia", "password": KV1_PASSWORD}
    assert get_username_and_password_from_secret(path) == ("bia", KV1_PASSWORD)


def test_get_vault_secret_accepts_a_client_and_settings(
    bao_server: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"key": "value-1"}, mount_point=KV1_MOUNT, kv_version=1)
    settings = VaultSettings(
        address=bao_server.address,
        token=bao_server.token,
        mount_point=KV1_MOUNT,
        kv_version=1,
    )

    assert get_vault_secret(path, bao_server.client(), settings=settings) == {
        "key": "value-1"
    }


def test_utils_reexports_get_vault_secret_for_rio_style_imports() -> None:
    assert rio_style_utils.get_vault_secret is get_vault_secret


def test_get_vault_secret_value_returns_one_key(
    vault_env: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"url": "http://127.0.0.1/hook", "other": "x"})

    assert get_vault_secret_value(path, "url") == "http://127.0.0.1/hook"


def test_get_secret_task_returns_secret_or_key_in_a_flow(
    vault_env: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"username": "carla", "password": TASK_PASSWORD})
    with PrefectFlow("test: get_secret") as flow:
        whole = get_secret(path)
        password = get_secret(path, key="password")

    state = flow.run()

    assert state.is_successful()
    assert state.result[whole].result == {
        "username": "carla",
        "password": TASK_PASSWORD,
    }
    assert state.result[password].result == TASK_PASSWORD
    assert get_secret.checkpoint is False


# ---------------------------------------------------------------------------------
# Errors of the secret itself


@pytest.mark.parametrize(
    ("mount_point", "kv_version"), [("secret", "2"), (KV1_MOUNT, "1")]
)
def test_get_vault_secret_missing_path_is_not_retried_and_names_path_and_mount(
    vault_env: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    mount_point: str,
    kv_version: str,
) -> None:
    monkeypatch.setenv("VAULT_MOUNT_POINT", mount_point)
    monkeypatch.setenv("VAULT_KV_VERSION", kv_version)

    with pytest.raises(
        SecretNotFoundError,
        match=(
            rf"No secret at path 'no/such/secret' in mount '{mount_point}' "
            rf"\(KV v{kv_version}\)"
        ),
    ):
        get_vault_secret("no/such/secret")

    assert _retry_warnings(caplog) == []


def test_get_vault_secret_path_with_mount_prefix_gets_a_hint(
    vault_env: DevVaultServer,
) -> None:
    with pytest.raises(SecretNotFoundError, match=r"leave out the 'secret/' prefix"):
        get_vault_secret("secret/riomidia")


def test_get_vault_secret_missing_key_lists_keys_never_values(
    vault_env: DevVaultServer, write_secret: Callable[..., str]
) -> None:
    path = write_secret({"username": "dora", "password": "value-never-shown"})

    with pytest.raises(SecretKeyNotFoundError) as raised:
        get_vault_secret_value(path, "pasword")

    message = str(raised.value)
    assert f"Secret {path!r} has no key 'pasword'" in message
    assert "its keys are ['password', 'username']" in message
    assert "Did you mean 'password'?" in message
    assert "value-never-shown" not in message
    assert "dora" not in message


def test_get_vault_secret_kv2_setting_on_kv1_mount_is_a_version_error(
    vault_env: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    write_secret: Callable[..., str],
) -> None:
    path = write_secret({"a": "b"}, mount_point=KV1_MOUNT, kv_version=1)
    monkeypatch.setenv("VAULT_MOUNT_POINT", KV1_MOUNT)

    with pytest.raises(
        VaultKVVersionError,
        match=r"'kv1' is a KV version 1 engine but VAULT_KV_VERSION is 2.*Set VAULT_KV_VERSION=1",
    ):
        get_vault_secret(path)


def test_get_vault_secret_kv1_setting_on_kv2_mount_is_a_version_error(
    vault_env: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    write_secret: Callable[..., str],
) -> None:
    path = write_secret({"a": "b"})
    monkeypatch.setenv("VAULT_KV_VERSION", "1")

    with pytest.raises(
        VaultKVVersionError,
        match=(
            r"'secret' is a KV version 2 engine but VAULT_KV_VERSION is 1"
            r".*Set VAULT_KV_VERSION=2"
        ),
    ):
        get_vault_secret(path)


def test_get_vault_secret_unknown_mount_names_the_variable(
    vault_env: DevVaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_MOUNT_POINT", "segredos")

    with pytest.raises(
        VaultMountNotFoundError,
        match=r"Nothing is mounted at 'segredos' \(VAULT_MOUNT_POINT\).*reading secret 'riomidia'",
    ):
        get_vault_secret("riomidia")


# ---------------------------------------------------------------------------------
# Errors of the token


def test_get_vault_secret_bad_token_is_a_token_error_not_retried(
    bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_secret({"a": "b"})
    use_vault(bao_server, token="s.not-a-real-token")

    with pytest.raises(
        VaultTokenError,
        match=(
            rf"refused VAULT_TOKEN \(403\) reading secret '{path}': "
            r"the token is wrong, expired or revoked"
        ),
    ):
        get_vault_secret(path)

    assert _retry_warnings(caplog) == []


def test_get_vault_secret_token_without_policy_is_permission_denied(
    bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
) -> None:
    root = bao_server.client()
    root.sys.create_or_update_policy(
        "only-other-paths", 'path "secret/data/other/*" { capabilities = ["read"] }'
    )
    token = root.auth.token.create(policies=["only-other-paths"], ttl="10m")["auth"][
        "client_token"
    ]
    path = write_secret({"a": "b"})
    use_vault(bao_server, token=token)

    with pytest.raises(
        VaultPermissionDeniedError,
        match=(
            r"policies \['default', 'only-other-paths'\] do not allow reading "
            rf"secret '{path}'.*'secret/data/{path}'"
        ),
    ):
        get_vault_secret(path)


def test_get_vault_secret_token_revoked_mid_run_fails_the_task(
    bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
) -> None:
    root = bao_server.client()
    token = root.auth.token.create(policies=["root"], ttl="10m")["auth"]["client_token"]
    path = write_secret({"password": "revoked-mid-run"})
    use_vault(bao_server, token=token)

    @task
    def revoke_token() -> None:
        root.auth.token.revoke(token)

    with PrefectFlow("test: token revoked mid-run") as flow:
        before = get_secret(path, key="password")
        revoked = revoke_token(upstream_tasks=[before])
        after = get_secret(path, key="password", upstream_tasks=[revoked])

    state = flow.run()

    assert state.is_failed()
    assert state.result[before].result == "revoked-mid-run"
    assert isinstance(state.result[after].result, VaultTokenError)


# ---------------------------------------------------------------------------------
# Transient failures: retried a bounded number of times


def test_get_vault_secret_unreachable_is_retried_then_fails(
    vault_env: DevVaultServer,
    monkeypatch: pytest.MonkeyPatch,
    closed_port_address: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("VAULT_ADDRESS", closed_port_address)
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")

    with pytest.raises(
        VaultUnreachableError,
        match=(
            rf"Vault at '{closed_port_address}' did not answer reading secret "
            r"'riomidia' after 2 attempt\(s\) \(ConnectionError: connection "
            r"refused\)\. Check VAULT_ADDRESS"
        ),
    ):
        get_vault_secret("riomidia")

    assert len(_retry_warnings(caplog)) == 1


def test_get_vault_secret_silent_server_times_out_instead_of_hanging(
    vault_env: DevVaultServer, monkeypatch: pytest.MonkeyPatch, silent_tcp_address: str
) -> None:
    monkeypatch.setenv("VAULT_ADDRESS", silent_tcp_address)
    monkeypatch.setenv("VAULT_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")
    started = time.monotonic()

    with pytest.raises(
        VaultUnreachableError,
        match=r"after 2 attempt\(s\) \(ReadTimeout: no answer in time\)",
    ):
        get_vault_secret("riomidia")

    # two 0.3 s timeouts and one 0.5 s pause, with room for a slow machine
    assert time.monotonic() - started < 4.0


def test_get_vault_secret_connection_reset_is_retried(
    bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
    resetting_proxy: Callable[[int], object],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_secret({"a": "through-the-proxy"})
    proxy = resetting_proxy(1)
    use_vault(bao_server)
    monkeypatch.setenv("VAULT_ADDRESS", proxy.address)

    assert get_vault_secret(path) == {"a": "through-the-proxy"}

    assert proxy.connections == 2
    warnings = _retry_warnings(caplog)
    assert len(warnings) == 1
    assert (
        "attempt 1 of 3: ConnectionError: connection reset" in warnings[0].getMessage()
    )


def test_get_vault_secret_connection_reset_every_time_gives_up(
    bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    resetting_proxy: Callable[[int], object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = resetting_proxy(99)
    use_vault(bao_server)
    monkeypatch.setenv("VAULT_ADDRESS", proxy.address)
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")

    with pytest.raises(
        VaultUnreachableError,
        match=r"after 2 attempt\(s\) \(ConnectionError: connection reset\)",
    ):
        get_vault_secret("riomidia")

    assert proxy.connections == 2


def test_get_vault_secret_sealed_server_503_is_retried_then_fails(
    own_bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    own_bao_server.client().sys.seal()
    use_vault(own_bao_server)
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")

    with pytest.raises(
        VaultServerError,
        match=(
            r"answered HTTP 503 VaultDown reading secret 'riomidia' after "
            r"2 attempt\(s\)\. The server is sealed"
        ),
    ):
        get_vault_secret("riomidia")

    assert len(_retry_warnings(caplog)) == 1


def test_get_vault_secret_server_unsealed_during_retries_succeeds(
    own_bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
) -> None:
    path = write_secret({"a": "after-unseal"}, server=own_bao_server)
    client = own_bao_server.client()
    client.sys.seal()
    use_vault(own_bao_server)
    unsealer = threading.Timer(
        0.2, client.sys.submit_unseal_key, args=(own_bao_server.unseal_key,)
    )
    unsealer.start()

    try:
        assert get_vault_secret(path) == {"a": "after-unseal"}
    finally:
        unsealer.join()


def test_get_vault_secret_server_stopped_mid_run_fails_the_task(
    own_bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_secret({"password": "before-the-stop"}, server=own_bao_server)
    use_vault(own_bao_server)
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")

    @task
    def stop_server() -> None:
        own_bao_server.stop()

    with PrefectFlow("test: server stopped mid-run") as flow:
        before = get_secret(path, key="password")
        stopped = stop_server(upstream_tasks=[before])
        after = get_secret(path, key="password", upstream_tasks=[stopped])

    started = time.monotonic()
    state = flow.run()

    assert state.is_failed()
    assert state.result[before].result == "before-the-stop"
    error = state.result[after].result
    assert isinstance(error, VaultUnreachableError)
    assert f"did not answer reading secret {path!r} after 2 attempt(s)" in str(error)
    assert time.monotonic() - started < 10.0


def test_hvac_errors_are_chained(vault_env: DevVaultServer) -> None:
    with pytest.raises(SecretNotFoundError) as raised:
        get_vault_secret("chained/missing")

    assert isinstance(raised.value.__cause__, hvac.exceptions.InvalidPath)
