"""The Lambda entry points: records read, configuration checked, no web-app imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cdmx.aws.envelope import EnvelopeError, origination_id_from_arn, parse_eum_message
from cdmx.aws.handlers import BridgeConfigError, check_settings, sns_records
from cdmx.whatsapp.payload import parse_update
from tests.aws.conftest import (
    ORIGINATION_ARN,
    ORIGINATION_ID,
    bridge_settings,
    eum_message,
    text_message,
)
from tests.conftest import PHONE_NUMBER_ID


def test_sns_records_give_message_and_attribute_values() -> None:
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {
        "Type": "Notification", "Message": "{}", "MessageAttributes": {"ContactId": {"Type": "String", "Value": "c-1"}}}},
        {"Sns": {"Message": None}}, "junk"]}  # fmt: skip
    assert sns_records(event) == [("{}", {"ContactId": "c-1"})]


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(BridgeConfigError, match="CONNECT_STREAMING_TOPIC_ARN"):
        check_settings(bridge_settings(CONNECT_STREAMING_TOPIC_ARN=""), "inbound")
    check_settings(bridge_settings(CONNECT_STREAMING_TOPIC_ARN=""), "outbound")


def test_the_eum_entry_becomes_the_body_meta_would_send() -> None:
    event = parse_eum_message(eum_message([text_message("wamid.X", "hola")]))
    update = parse_update(event.meta_body)
    assert [m.wamid for m in update.messages] == ["wamid.X"]
    assert event.origination_id(PHONE_NUMBER_ID) == ORIGINATION_ID
    assert origination_id_from_arn(ORIGINATION_ARN) == ORIGINATION_ID
    # The same message gives the same bytes: the inbox's sha256 dedupes redeliveries.
    assert (
        parse_eum_message(eum_message([text_message("wamid.X", "hola", timestamp=1)])).meta_body
        == parse_eum_message(eum_message([text_message("wamid.X", "hola", timestamp=1)])).meta_body
    )


@pytest.mark.parametrize(
    "message",
    ["not json", "[]", json.dumps({"context": {}}), json.dumps({"whatsAppWebhookEntry": "[1]"})],
)
def test_not_an_eum_event(message: str) -> None:
    with pytest.raises(EnvelopeError):
        parse_eum_message(message)


def test_handlers_import_without_the_web_app() -> None:
    # The Lambda package carries cdmx/{aws,domain,whatsapp} and settings only.
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('fastapi', 'sqlalchemy', 'starlette', 'jinja2', 'cryptography', 'argon2'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "        if name.startswith(('cdmx.web', 'cdmx.db', 'cdmx.actions', 'cdmx.app')):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import cdmx.aws.handlers\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
