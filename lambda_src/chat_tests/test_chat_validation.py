"""What clients send, checked by `chat.validation`: pure functions, no AWS."""

from __future__ import annotations

from typing import Any

import pytest
from chat.validation import BadRequest, parse_body, validate_room, validate_text


@pytest.mark.parametrize("room", ["lobby", "大厅", "sala-ñ", "комната", "नमस्ते", "R" * 64])
def test_rooms_of_any_script(room: str) -> None:
    assert validate_room(room) == room


def test_a_decomposed_name_is_stored_composed() -> None:
    assert validate_room("sala-n\u0303") == "sala-\u00f1"


@pytest.mark.parametrize("room", ["", "a\u200bb", "\u202eabc", "a\u0007b", "a b", "x" * 65, 7])
def test_invisible_spaced_empty_and_long_names_are_refused(room: Any) -> None:
    with pytest.raises(BadRequest) as refused:
        validate_room(room)
    assert refused.value.code == "invalid_room"


@pytest.mark.parametrize(
    ("body", "code"),
    [(None, "empty_body"), ("hello", "invalid_json"), ("NaN", "invalid_json"),
     ("[1]", "invalid_message")],
)  # fmt: skip
def test_bodies_that_are_not_one_object(body: str | None, code: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_body(body)
    assert refused.value.code == code


def test_text_size_is_counted_in_utf8_bytes() -> None:
    assert validate_text({"data": "é" * 5}, 10) == "é" * 5
    with pytest.raises(BadRequest) as refused:
        validate_text({"data": "é" * 6}, 11)
    assert refused.value.code == "message_too_large"
