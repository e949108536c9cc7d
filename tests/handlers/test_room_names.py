"""Room names of any script, one rule in both reference implementations.

Each case is checked against ``chat.validation.validate_room`` (Python) and against
``validateRoom`` of ``lambda_src/chat-nodejs/validation.mjs``, run by the machine's ``node``:
the two must accept the same names, normalise them the same way (NFC) and refuse the same
ones with the same ``invalid_room`` message.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from chat import handlers
from chat.validation import ROOM_RULE, BadRequest, validate_room

from tests.support import scaled

from .conftest import Chat
from .support import connect_event

NODE_VALIDATION = (
    Path(__file__).resolve().parents[2] / "lambda_src" / "chat-nodejs" / "validation.mjs"
)

ACCEPTED: list[tuple[str, str]] = [
    ("lobby", "lobby"),
    ("大厅", "大厅"),
    ("sala-ñ", "sala-ñ"),
    ("комната", "комната"),
    ("غرفة_1", "غرفة_1"),
    ("नमस्ते", "नमस्ते"),  # vowel signs and a virama: combining marks after the first letter
    ("sala-n\u0303", "sala-\u00f1"),  # decomposed n + COMBINING TILDE, stored composed
    ("R" * 64, "R" * 64),
    ("\U00020000" * 64, "\U00020000" * 64),  # 64 characters of 4 UTF-8 bytes each
    ("٣٤_-", "٣٤_-"),  # Arabic-Indic digits
]

REFUSED: list[Any] = [
    "",
    "a\u200bb",  # ZERO WIDTH SPACE (Cf)
    "\u202eabc",  # RIGHT-TO-LEFT OVERRIDE (Cf)
    "a\u0007b",  # a control character (Cc)
    "a\tb",
    "two words",  # a space (Zs)
    "a\u00a0b",  # NO-BREAK SPACE (Zs)
    "x" * 65,
    "\u0303abc",  # a combining mark with nothing to combine with
    "\ue000",  # private use (Co)
    "\U0010fffe",  # a noncharacter, unassigned (Cn)
    "\ud800",  # a lone surrogate, which JSON can carry
    "\U0001f642",  # an emoji is a symbol (So), not a letter
    "a.b",
    "../etc",
    None,
    7,
]


def _python(room: Any) -> str | None:
    try:
        return validate_room(room)
    except BadRequest as refusal:
        assert (refusal.code, refusal.message) == ("invalid_room", ROOM_RULE)
        return None


def _node(rooms: list[Any]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the Node.js handlers cannot be checked")
    script = f"""
        import {{ validateRoom }} from {json.dumps(NODE_VALIDATION.as_uri())};
        let input = '';
        for await (const chunk of process.stdin) input += chunk;
        const answers = JSON.parse(input).map((room) => {{
          try {{ return {{ name: validateRoom(room) }}; }}
          catch (error) {{ return {{ code: error.code, message: error.message }}; }}
        }});
        process.stdout.write(JSON.stringify(answers));
    """
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(rooms),
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=True,
    )
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


@pytest.mark.parametrize(("room", "stored"), ACCEPTED)
def test_python_accepts_names_of_any_script_normalised(room: str, stored: str) -> None:
    assert _python(room) == stored


@pytest.mark.parametrize("room", REFUSED, ids=repr)
def test_python_refuses_invisible_spaced_and_overlong_names(room: Any) -> None:
    assert _python(room) is None


def test_nodejs_applies_the_same_rule() -> None:
    answers = _node([room for room, _ in ACCEPTED] + REFUSED)
    assert [answer.get("name") for answer in answers[: len(ACCEPTED)]] == [
        stored for _, stored in ACCEPTED
    ]
    for room, answer in zip(REFUSED, answers[len(ACCEPTED) :], strict=True):
        assert answer == {"code": "invalid_room", "message": ROOM_RULE}, room


def test_the_longest_name_fits_a_dynamodb_key() -> None:
    """64 characters of at most 4 UTF-8 bytes: 256 bytes, under a partition key's 2,048
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html)."""
    longest = max((stored for _, stored in ACCEPTED), key=lambda name: len(name.encode()))
    assert len(longest.encode("utf-8")) == 256 <= 2048


def test_connect_stores_the_normalised_name(chat: Chat) -> None:
    """``?roomId=`` with a decomposed ñ joins the same room as the composed one."""
    event = connect_event("CONNaaaaaaaaaaa=", {"roomId": "sala-n\u0303"})
    assert handlers.connect(event, None) == {"statusCode": 200}
    stored = chat.connections.get_item(Key={"id": "CONNaaaaaaaaaaa="})["Item"]
    assert stored["roomId"] == "sala-\u00f1"
