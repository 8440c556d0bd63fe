"""The log formatter names what failed and where, and never prints what an error carries."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from invoicegate.domain.merchant import Credential
from invoicegate.logs import JsonFormatter
from invoicegate.services.ports import StoreUnavailable

PRIVATE = "Delina Prasetya 082342341 delina@example.com"


def logged(name: str, message: str, error: BaseException | None = None) -> dict[str, Any]:
    exc_info = None
    if error is not None:
        try:
            raise error
        except BaseException:
            exc_info = sys.exc_info()
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, message, (), exc_info)
    entry: dict[str, Any] = json.loads(JsonFormatter().format(record))
    return entry


def save_customer() -> None:
    try:
        raise KeyError(PRIVATE)
    except KeyError as error:
        raise ValueError(f"could not store {PRIVATE}") from error


def test_an_exception_is_logged_as_its_classes_and_frames_without_its_message() -> None:
    try:
        save_customer()
    except ValueError as error:
        entry = logged("invoicegate.winpay", "winpay update failed", error)
    assert entry["msg"] == "winpay update failed"
    assert "Delina" not in json.dumps(entry)
    exc = entry["exc"]
    assert "KeyError [message withheld]" in exc
    assert exc.endswith("ValueError [message withheld]")
    assert exc.index("KeyError") < exc.index("which led to:") < exc.index("ValueError")
    assert "in save_customer" in exc  # where it was raised


def test_errors_written_to_be_logged_keep_their_message() -> None:
    entry = logged("invoicegate.paylink", "failed", StoreUnavailable("the writer is closed"))
    assert entry["exc"].endswith(
        "invoicegate.services.ports.StoreUnavailable: the writer is closed"
    )


def test_another_librarys_message_is_kept_to_its_first_line() -> None:
    entry = logged("asyncio", f"Task exception was never retrieved\nfuture: <Task {PRIVATE}>")
    assert entry["msg"] == "Task exception was never retrieved"
    ours = logged("invoicegate.cli", "first\nsecond")
    assert ours["msg"] == "first\nsecond"


def test_a_credential_never_prints_its_secret() -> None:
    credential = Credential(
        id="c-1",
        merchant_id="m-1",
        dialect="winpay",
        public_id="wp_public",
        secret="s3cret-hmac-key",
        secret_hash="hash-of-a-key",
        display_name="Shop",
        callback_url=None,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert "wp_public" in repr(credential)
    assert "s3cret-hmac-key" not in repr(credential) and "hash-of-a-key" not in repr(credential)
