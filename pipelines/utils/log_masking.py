"""Masking of secret values in log lines: every value read from Vault becomes `***`.

`get_vault_secret` registers what it reads with `register_secret_values`, which also
installs `SecretMaskingFilter` on Prefect's loggers and their handlers (the console
and the handler that ships flow-run logs to the Prefect server) and on urllib3's.
"""

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# NOTE: shorter values are not masked: replacing every "on" or "42" in every log line
# would garble the logs and, by the pattern of the gaps, reveal the value anyway.
MIN_MASKED_LENGTH = 4

# Prefect's root logger: its child loggers (tasks, runners) propagate to it, so a
# filter on its handlers sees every record of a flow run before the UI does. Plus
# urllib3's request log, whose DEBUG lines hold URLs (a webhook's URL is a secret).
MASKED_LOGGER_NAMES = ("prefect", "urllib3.connectionpool")

# NOTE: the set is per process. With a process-based Dask executor each worker masks
# what it read itself; a value read in one worker and logged in another is not known
# there. Read secrets in the task that uses them (the `get_secret` task does).
_lock = threading.Lock()
_secret_values: set[str] = set()


def register_secret_values(values: Iterable[Any]) -> None:
    """Remembers values that must never appear in a log line, and starts masking.

    Nested mappings and sequences are walked; strings and numbers of at least
    `MIN_MASKED_LENGTH` characters are registered, together with their `repr`
    form (which is how they appear when a dict is logged with `%r`).

    Args:
        values: the values of a secret, usually `secret.values()`.
    """
    found: set[str] = set()
    for leaf in _leaves(values):
        text = str(leaf)
        if len(text) >= MIN_MASKED_LENGTH:
            found.add(text)
            # repr escapes quotes and backslashes: mask that spelling too
            found.add(repr(text)[1:-1])
    if not found:
        return
    with _lock:
        _secret_values.update(found)
    install_secret_masking()


def has_secret_values() -> bool:
    """Whether any secret value has been registered in this process."""
    return bool(_secret_values)


def forget_secret_values() -> None:
    """Forgets every registered value (for tests that need a clean process state)."""
    with _lock:
        _secret_values.clear()


def mask_secret_values(text: str) -> str:
    """Replaces every registered secret value in `text` with `***`.

    Args:
        text: any text about to leave the process (log line, chat message).

    Returns:
        The text with secret values masked; the same object when nothing matched.
    """
    if not _secret_values or not text:
        return text
    with _lock:
        # longest first, so that a value containing another is masked whole
        values = sorted(_secret_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class SecretMaskingFilter(logging.Filter):
    """Rewrites a log record so that no registered secret value is left in it.

    The message is rendered (`msg % args`), masked and stored back with no args;
    a traceback is rendered into `exc_text`, masked, and `exc_info` dropped so that
    no later handler renders it again unmasked. Records are never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secret_values:
            return True
        try:
            message = record.getMessage()
        # a bad format string must not lose the record
        except Exception:  # pylint: disable=broad-exception-caught
            message = str(record.msg)
        record.msg = mask_secret_values(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secret_values(record.exc_text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask_secret_values(record.stack_info)
        return True


_filter = SecretMaskingFilter()


def install_secret_masking(logger_names: Iterable[str] = MASKED_LOGGER_NAMES) -> None:
    """Adds the masking filter to Prefect's loggers and to each of their handlers.

    A filter on a logger sees the records created on it; a filter on a handler sees
    those propagated from child loggers too.

    Safe to call many times. The filter stays for the life of the process: a value
    read once may be logged by any later run in the same process.

    Args:
        logger_names: the loggers to protect; `MASKED_LOGGER_NAMES` by default.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
        for handler in logger.handlers:
            if _filter not in handler.filters:
                handler.addFilter(_filter)


def _leaves(values: Iterable[Any]) -> Iterable[Any]:
    """Yields the scalar values (strings and numbers, not booleans) found in values."""
    for value in values:
        if isinstance(value, Mapping):
            yield from _leaves(value.values())
        elif isinstance(value, (list, tuple, set)):
            yield from _leaves(value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield value
