"""`$connect`: room from the query string, Origin allowlist, the stored item."""

from __future__ import annotations

import time
from typing import Any

import pytest
from chat import handlers
from chat.config import API_GATEWAY_CONNECTION_LIMIT_SECONDS

from .conftest import Chat
from .support import connect_event, load_event, log_records


def item(chat: Chat, connection_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = chat.connections.get_item(Key={"id": connection_id}).get("Item")
    return found


def test_stores_the_connection_in_the_requested_room(chat: Chat) -> None:
    """The item holds the room, the event's connectedAt and a TTL past the 2-hour limit."""
    before = time.time()
    result = handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": "games"}), None)

    assert result == {"statusCode": 200}
    stored = item(chat, "CONNaaaaaaaaaaa=")
    assert stored is not None
    assert stored["roomId"] == "games"
    assert stored["connectedAt"] == 1737995987617
    assert "userName" not in stored
    assert int(stored["expiresAt"]) > before + API_GATEWAY_CONNECTION_LIMIT_SECONDS


def test_golden_connect_event_joins_its_room(chat: Chat) -> None:
    """The golden event as it is (?roomId=lobby) is accepted."""
    event = load_event("wslab__connect.json")
    assert handlers.connect(event, None) == {"statusCode": 200}
    stored = item(chat, event["requestContext"]["connectionId"])
    assert stored is not None and stored["roomId"] == "lobby"


@pytest.mark.parametrize(
    "capture",
    [
        "powertools-python__apiGatewayWebSocketApiConnect.json",
        "dotnet__websocket-api-connect-request.json",
    ],
)
def test_real_aws_connect_without_query_string_uses_the_default_room(
    chat: Chat, capture: str
) -> None:
    """AWS captures have no queryStringParameters at all: the default room is used."""
    event = load_event(capture)
    assert "queryStringParameters" not in event
    assert handlers.connect(event, None) == {"statusCode": 200}
    stored = item(chat, event["requestContext"]["connectionId"])
    assert stored is not None and stored["roomId"] == "lobby"


def test_default_room_comes_from_the_environment(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEFAULT_ROOM replaces "lobby"."""
    monkeypatch.setenv("DEFAULT_ROOM", "welcome")
    handlers.connect(connect_event("CONNaaaaaaaaaaa=", None), None)
    stored = item(chat, "CONNaaaaaaaaaaa=")
    assert stored is not None and stored["roomId"] == "welcome"


@pytest.mark.parametrize(
    "room",
    ["", "two words", "x" * 65, "../etc", "lobby;drop", "a\u200bb", "\u202eabc", "room/1", "a.b"],
)
def test_invalid_room_is_rejected_with_400_and_nothing_stored(chat: Chat, room: str) -> None:
    """A bad roomId refuses the upgrade (HTTP 400) and stores nothing."""
    result = handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": room}), None)
    assert result == {"statusCode": 400}
    assert item(chat, "CONNaaaaaaaaaaa=") is None


def test_longest_allowed_room_is_accepted(chat: Chat) -> None:
    """64 characters is the limit, inclusive."""
    room = "R" * 64
    assert handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": room}), None) == {
        "statusCode": 200
    }


def test_authorized_user_is_stored(chat: Chat) -> None:
    """The user the authorizer allowed is kept with the connection."""
    event = connect_event(
        "CONNaaaaaaaaaaa=", {"roomId": "lobby", "token": "t"}, authorized_user="bob"
    )
    handlers.connect(event, None)
    stored = item(chat, "CONNaaaaaaaaaaa=")
    assert stored is not None and stored["userName"] == "bob"


@pytest.mark.parametrize(
    ("allowlist", "origin", "status"),
    [
        ("https://chat.example.com", "https://chat.example.com", 200),
        ("https://chat.example.com/", "https://chat.example.com", 200),
        ("https://a.example, https://chat.example.com", "https://chat.example.com", 200),
        ("https://chat.example.com", "https://evil.example", 403),
        ("https://chat.example.com", "http://chat.example.com", 403),
        ("https://chat.example.com", "null", 403),
        ("https://chat.example.com", None, 200),
        ("", "https://evil.example", 200),
    ],
)
def test_origin_allowlist(
    chat: Chat,
    monkeypatch: pytest.MonkeyPatch,
    allowlist: str,
    origin: str | None,
    status: int,
) -> None:
    """With ALLOWED_ORIGINS set, a browser Origin outside it gets 403; unset, all pass."""
    if allowlist:
        monkeypatch.setenv("ALLOWED_ORIGINS", allowlist)
    event = connect_event("CONNaaaaaaaaaaa=", {"roomId": "lobby"}, origin=origin)
    assert handlers.connect(event, None) == {"statusCode": status}
    assert (item(chat, "CONNaaaaaaaaaaa=") is not None) == (status == 200)


def test_origin_header_name_is_case_insensitive(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients choose the header's case; the event keeps it."""
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://chat.example.com")
    event = connect_event("CONNaaaaaaaaaaa=", {"roomId": "lobby"}, origin=None)
    event["headers"]["origin"] = "https://evil.example"
    assert handlers.connect(event, None) == {"statusCode": 403}


def test_connect_never_posts_to_the_connection(chat: Chat) -> None:
    """A post from inside $connect gets 410 on AWS, so none is attempted."""
    handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": "lobby"}), None)
    assert chat.endpoints == []
    assert sum(chat.api.attempts.values()) == 0


def test_logs_one_json_line_without_the_query_string(
    chat: Chat, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line: route, connection, room, outcome, latency; the token is nowhere."""
    token = "eyJTOKEN-MUST-NOT-BE-LOGGED.part.sig"
    event = connect_event("CONNaaaaaaaaaaa=", {"roomId": "games", "token": token})
    handlers.connect(event, None)

    captured = capsys.readouterr()
    (record,) = log_records(captured.out)
    assert record["event"] == "route"
    assert record["route"] == "$connect"
    assert record["connection"] == "CONNaaaaaaaaaaa="
    assert record["room"] == "games"
    assert record["outcome"] == "ok"
    assert isinstance(record["latency_ms"], float)
    assert "TOKEN-MUST-NOT-BE-LOGGED" not in captured.out + captured.err


def test_rejections_are_logged_with_their_reason(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused origin and a bad room each leave an explained log line."""
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://chat.example.com")
    handlers.connect(
        connect_event("CONNaaaaaaaaaaa=", {"roomId": "lobby"}, origin="https://x.example"), None
    )
    handlers.connect(connect_event("CONNbbbbbbbbbbb=", {"roomId": "bad room"}), None)

    first, second = log_records(capsys.readouterr().out)
    assert (first["outcome"], first["error"], first["origin"]) == (
        "rejected",
        "origin_not_allowed",
        "https://x.example",
    )
    assert (second["outcome"], second["error"]) == ("rejected", "invalid_room")
