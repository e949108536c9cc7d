"""`$disconnect`: delete the connection's item, idempotently."""

from __future__ import annotations

import pytest
from chat import handlers

from .conftest import Chat
from .support import connect_event, disconnect_event, load_event, log_records


def test_deletes_only_that_connection(chat: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """The item goes; another connection in the same room stays; the room is logged."""
    handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": "games"}), None)
    handlers.connect(connect_event("CONNbbbbbbbbbbb=", {"roomId": "games"}), None)
    capsys.readouterr()

    assert handlers.disconnect(disconnect_event("CONNaaaaaaaaaaa="), None) == {"statusCode": 200}

    assert "Item" not in chat.connections.get_item(Key={"id": "CONNaaaaaaaaaaa="})
    assert "Item" in chat.connections.get_item(Key={"id": "CONNbbbbbbbbbbb="})
    (record,) = log_records(capsys.readouterr().out)
    assert (record["route"], record["room"], record["outcome"]) == ("$disconnect", "games", "ok")


def test_second_disconnect_is_harmless(chat: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """$disconnect is best effort and may repeat, or follow a 410 clean-up: no error."""
    handlers.connect(connect_event("CONNaaaaaaaaaaa=", {"roomId": "lobby"}), None)
    handlers.disconnect(disconnect_event("CONNaaaaaaaaaaa="), None)
    capsys.readouterr()

    assert handlers.disconnect(disconnect_event("CONNaaaaaaaaaaa="), None) == {"statusCode": 200}
    (record,) = log_records(capsys.readouterr().out)
    assert record["outcome"] == "already_gone"


@pytest.mark.parametrize(
    "capture",
    [
        "aws-lambda-go__apigw-websocket-request-disconnect.json",
        "powertools-python__apiGatewayWebSocketApiDisconnect.json",
        "rust-lambda-events__example-apigw-websocket-request-disconnect-route.json",
    ],
)
def test_real_aws_disconnect_events(chat: Chat, capture: str) -> None:
    """Every captured DISCONNECT shape removes its connection's item."""
    event = load_event(capture)
    connection_id = event["requestContext"]["connectionId"]
    chat.connections.put_item(Item={"id": connection_id, "roomId": "lobby", "expiresAt": 1})

    assert handlers.disconnect(event, None) == {"statusCode": 200}
    assert "Item" not in chat.connections.get_item(Key={"id": connection_id})
