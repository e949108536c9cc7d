"""The chat end to end: the template deployed on ``wslab local``, real WebSocket clients.

Every test runs against both reference implementations (``lambda_src/chat`` on python3.12,
``lambda_src/chat-nodejs`` on nodejs22.x: the ``runtime`` parameter). Two stacks per
implementation, each deployed once for this module: ``e2e-rooms`` without an authorizer (rooms,
numbering, history, stale connections, bad input) and ``e2e-authz`` with the REQUEST
authorizer and an ``Origin`` allowlist. Every test uses rooms of its own, so the tests
share a stack without seeing each other's messages.

Nothing here sleeps and then asserts: a test waits for a message on a socket, or for the
handler's own log line in CloudWatch Logs, which is written once the invocation is over
and carries its counts (delivered, gone, ...). Every wait has a deadline, scaled by
``WSLAB_TEST_TIMEOUT_SCALE``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import secrets
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import websocket

from tests.support import DeployedChat, deployed, handler_runtimes, scaled, stack_name_for
from wslab.local.process import LocalAWSProcess

# Tokens are minted with the handlers' own code, as the server that logs users in would.
LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

from chat.tokens import mint_token  # noqa: E402

ROOMS_STACK = "e2e-rooms"
AUTH_STACK = "e2e-authz"
ALLOWED_ORIGIN = "https://chat.example.com"
# The handlers' defaults (lambda_src/README.md), which the template leaves as they are.
HISTORY_LIMIT = 20
MAX_MESSAGE_BYTES = 4096
VALID_ACTIONS = ["sendmessage", "joinroom"]


# The deployed chat ----------------------------------------------------------------------


class Chat(DeployedChat):
    """One deployed stack: where clients connect, its tables, its functions' logs."""

    def log_lines(self, function: str) -> list[dict[str, Any]]:
        """Every JSON line the function ``{stack}-{function}`` has logged so far."""
        logs = self.client("logs")
        group = f"/aws/lambda/{self.stack.stack_name}-{function}"
        lines: list[dict[str, Any]] = []
        try:
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
                for event in page["events"]:
                    if event["message"].startswith("{"):
                        lines.append(json.loads(event["message"]))
        except logs.exceptions.ResourceNotFoundException:
            pass
        return lines

    def wait_for_log(
        self, function: str, match: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """The first log line of ``function`` that ``match``es, once it has been written."""
        deadline = time.monotonic() + scaled(30)
        while True:
            found = [line for line in self.log_lines(function) if match(line)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log line from {function}")
            time.sleep(0.1)  # poll interval, not an assumption about how long anything takes

    def broadcast_of(self, room: str, seq: int) -> dict[str, Any]:
        """The ``sendmessage`` route line of the message numbered ``seq`` in ``room``."""
        return self.wait_for_log(
            "sendmessage",
            lambda line: (
                line.get("event") == "route" and line.get("room") == room and line.get("seq") == seq
            ),
        )

    def room_items(self, room: str) -> list[dict[str, Any]]:
        """The connections items of ``room``, from the room index."""
        response = self.client("dynamodb").query(
            TableName=self.connections_table,
            IndexName="roomId-index",
            KeyConditionExpression="roomId = :room",
            ExpressionAttributeValues={":room": {"S": room}},
        )
        return list(response["Items"])

    def history_seqs(self, room: str) -> list[int]:
        response = self.client("dynamodb").query(
            TableName=self.history_table,
            KeyConditionExpression="roomId = :room",
            ExpressionAttributeValues={":room": {"S": room}},
            ConsistentRead=True,
        )
        return [int(item["seq"]["N"]) for item in response["Items"]]


@pytest.fixture(scope="module", params=handler_runtimes())
def runtime(request: pytest.FixtureRequest) -> str:
    """The reference handlers under test: ``python3.12`` or ``nodejs22.x``."""
    return str(request.param)


@pytest.fixture(scope="module")
def chat(endpoint_url: str, runtime: str) -> Iterator[Chat]:
    """The chat without an authorizer: everyone connects as a guest."""
    yield from deployed(endpoint_url, stack_name_for(ROOMS_STACK, runtime), Chat, runtime=runtime)


@pytest.fixture(scope="module")
def guarded(endpoint_url: str, runtime: str) -> Iterator[Chat]:
    """The chat with the token authorizer on ``$connect`` and an Origin allowlist."""
    yield from deployed(
        endpoint_url,
        stack_name_for(AUTH_STACK, runtime),
        Chat,
        with_authorizer=True,
        allowed_origins=ALLOWED_ORIGIN,
        runtime=runtime,
    )


@pytest.fixture(scope="module")
def token_secret(guarded: Chat) -> str:
    """The signing key, read from Secrets Manager as the login server would read it."""
    secret = guarded.client("secretsmanager").get_secret_value(SecretId=guarded.stack.secret_name)
    return str(secret["SecretString"])


# Clients --------------------------------------------------------------------------------


class Client:
    """One websocket-client socket; every frame it receives is kept in ``received``."""

    def __init__(
        self,
        url: str,
        *,
        room: str | None = None,
        token: str | None = None,
        origin: str | None = None,
    ) -> None:
        query = {"roomId": room, "token": token}
        params = urlencode({key: value for key, value in query.items() if value is not None})
        self.ws = websocket.create_connection(
            f"{url}?{params}" if params else url,
            timeout=scaled(20),
            # websocket-client sends an Origin of its own unless told otherwise.
            origin=origin,
            suppress_origin=origin is None,
        )
        self.received: list[dict[str, Any]] = []
        self.you = ""

    def send(self, payload: dict[str, Any] | str) -> None:
        self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    def wait_for(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read frames until one matches (a timeout on the socket fails the test)."""
        while True:
            frame = json.loads(self.ws.recv())
            assert isinstance(frame, dict), frame
            self.received.append(frame)
            if match(frame):
                return frame

    def join(self, room: str | None = None) -> dict[str, Any]:
        """``joinroom`` (staying in the URL's room when ``room`` is None); the answer."""
        self.send(
            {"action": "joinroom"} if room is None else {"action": "joinroom", "roomId": room}
        )
        joined = self.wait_for(lambda frame: frame.get("type") in ("joined", "error"))
        assert joined["type"] == "joined", joined
        self.you = joined["you"]
        return joined

    def say(self, text: str) -> dict[str, Any]:
        """Send a message and return it as it came back to the sender, numbered."""
        self.send({"action": "sendmessage", "data": text})
        return self.wait_for(lambda frame: _is_message(frame, text))

    def messages(self) -> list[tuple[str, int, str, str]]:
        """(room, seq, sender, text) of every chat message received so far, in order."""
        return [
            (frame["room"], frame["seq"], frame["sender"], frame["text"])
            for frame in self.received
            if frame.get("type") == "message"
        ]

    def close(self) -> None:
        self.ws.close()


def _is_message(frame: dict[str, Any], text: str) -> bool:
    return frame.get("type") == "message" and frame.get("text") == text


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    """``connect(url, room=..., token=..., origin=...)``; every socket is closed afterwards."""
    opened: list[Client] = []

    def open_client(url: str, **options: Any) -> Client:
        client = Client(url, **options)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        with contextlib.suppress(Exception):
            client.close()


def _refusal(url: str, **options: Any) -> int:
    """The HTTP status that refused the WebSocket upgrade (fails if it was accepted)."""
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        Client(url, **options).close()
    return int(refused.value.status_code)


def _connection_id() -> str:
    """A connection id in API Gateway's format (11 random bytes, base64url) never issued."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode("ascii")


# Rooms and numbering ---------------------------------------------------------------------


def test_every_function_runs_the_chosen_handlers(chat: Chat, runtime: str) -> None:
    """The stack's HandlerRuntime is each function's runtime, and its code is that
    implementation's folder: chat/handlers.py for Python, chat.mjs for Node.js."""
    functions = chat.client("lambda")
    for route in ("connect", "disconnect", "sendmessage", "joinroom", "default", "history"):
        configuration = functions.get_function_configuration(FunctionName=chat.function_name(route))
        assert configuration["Runtime"] == runtime
        assert configuration["Handler"].startswith("chat.handlers.")
    [described] = chat.client("cloudformation").describe_stacks(StackName=chat.stack.stack_name)[
        "Stacks"
    ]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert parameters["HandlerRuntime"] == runtime
    package = chat.client("s3").get_object(
        Bucket=parameters["CodeBucket"], Key=parameters["CodeKey"]
    )["Body"]
    names = zipfile.ZipFile(io.BytesIO(package.read())).namelist()
    expected = "chat/handlers.py" if runtime.startswith("python") else "chat.mjs"
    assert expected in names
    assert not [name for name in names if name.startswith("chat-nodejs/")]


def test_messages_reach_exactly_their_room(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """3 clients in 2 rooms: each gets its room's messages, numbered 1, 2, ..., and no others."""
    blue, green = f"blue-{unique}", f"green-{unique}"
    alice, bob = connect(chat.url, room=blue), connect(chat.url, room=blue)
    carol = connect(chat.url, room=green)
    for client in (alice, bob, carol):
        assert client.join()["lastSeq"] == 0
    members = {blue: [alice, bob], green: [carol]}
    script = [(alice, blue, "a1"), (bob, blue, "b1"), (carol, green, "c1"),
              (alice, blue, "a2"), (carol, green, "c2"), (bob, blue, "b2")]  # fmt: skip
    expected: dict[str, list[tuple[str, int, str, str]]] = {blue: [], green: []}
    for sender, room, text in script:
        sender.send({"action": "sendmessage", "data": text})
        # Every member has it before the next one is sent, so each socket's order is fixed.
        for member in members[room]:
            member.wait_for(lambda frame, text=text: _is_message(frame, text))
        expected[room].append((room, len(expected[room]) + 1, sender.you, text))
    # The handler's own count: each broadcast was posted to its room's members and no one else.
    for room, sent in expected.items():
        for _, seq, _, _ in sent:
            line = chat.broadcast_of(room, seq)
            assert (line["delivered"], line["gone"], line["failed"]) == (len(members[room]), 0, 0)
    # Every broadcast above has ended; a last message per room closes each socket's record.
    alice.say(f"end of {blue}")
    carol.say(f"end of {green}")
    bob.wait_for(lambda frame: _is_message(frame, f"end of {blue}"))
    expected[blue].append((blue, len(expected[blue]) + 1, alice.you, f"end of {blue}"))
    expected[green].append((green, len(expected[green]) + 1, carol.you, f"end of {green}"))
    assert alice.messages() == bob.messages() == expected[blue]
    assert carol.messages() == expected[green]
    assert [seq for _, seq, _, _ in expected[blue]] == [1, 2, 3, 4, 5]
    assert len({alice.you, bob.you, carol.you}) == 3
    assert all(you.startswith("guest-") for you in (alice.you, bob.you, carol.you))


def test_envelope_has_the_documented_fields(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """A delivered message is the README's envelope: type, room, seq, sender, text, sentAt."""
    alice = connect(chat.url, room=f"fields-{unique}")
    alice.join()
    before = datetime.now(UTC)
    message = alice.say("Hello, room! \N{WAVING HAND SIGN}")
    after = datetime.now(UTC)
    assert set(message) == {"type", "room", "seq", "sender", "text", "sentAt"}
    assert (message["room"], message["seq"], message["sender"]) == (
        f"fields-{unique}",
        1,
        alice.you,
    )
    assert message["text"] == "Hello, room! \N{WAVING HAND SIGN}"
    # ISO 8601 in UTC with milliseconds, from the server's clock (the same clock here).
    sent_at = message["sentAt"]
    assert sent_at.endswith("Z") and len(sent_at) == len("2025-01-27T16:39:50.113Z")
    sent = datetime.strptime(sent_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before - timedelta(milliseconds=1) <= sent <= after


def test_history_is_delivered_on_joinroom(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """A late joiner gets the room's last HISTORY_LIMIT messages, oldest first, then live ones."""
    room, elsewhere = f"history-{unique}", f"elsewhere-{unique}"
    alice = connect(chat.url, room=room)
    alice.join()
    total = HISTORY_LIMIT + 3
    for number in range(1, total + 1):
        assert alice.say(f"m{number}")["seq"] == number
    kept = list(range(total - HISTORY_LIMIT + 1, total + 1))

    # Moving in from another room with {"action": "joinroom", "roomId": ...}.
    dave = connect(chat.url, room=elsewhere)
    assert dave.join()["history"] == []
    joined = dave.join(room)
    assert (joined["room"], joined["lastSeq"], joined["you"]) == (room, total, dave.you)
    assert [m["seq"] for m in joined["history"]] == kept
    assert [m["text"] for m in joined["history"]] == [f"m{seq}" for seq in kept]
    assert {(m["type"], m["room"], m["sender"]) for m in joined["history"]} == {
        ("message", room, alice.you)
    }
    assert [item["id"]["S"] for item in chat.room_items(elsewhere)] == []

    # Connecting with ?roomId= and staying there with {"action": "joinroom"}.
    erin = connect(chat.url, room=room)
    assert erin.join()["history"] == joined["history"]

    live = alice.say("live")
    assert live["seq"] == total + 1
    for member in (dave, erin):
        assert member.wait_for(lambda frame: _is_message(frame, "live"))["seq"] == total + 1
    # The table keeps the counter (seq 0) and the last HISTORY_KEEP messages (here all).
    assert chat.history_seqs(room) == list(range(total + 2))


def test_a_gap_is_filled_with_the_history_action(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """The deployed `history` route answers the asker alone with the messages after a
    seq, exactly as they went out live, and the room's latest seq."""
    room = f"gap-{unique}"
    alice, bob = connect(chat.url, room=room), connect(chat.url, room=room)
    alice.join()
    bob.join()
    sent = [alice.say(f"g{n}") for n in range(1, 6)]
    live = [bob.wait_for(lambda frame, n=n: _is_message(frame, f"g{n}")) for n in range(1, 6)]
    assert live == sent

    bob.send({"action": "history", "sinceSeq": 2, "limit": 2})
    answer = bob.wait_for(lambda frame: frame.get("type") == "history")
    assert answer == {"type": "history", "room": room, "messages": sent[2:4], "latestSeq": 5}
    bob.send({"action": "history", "sinceSeq": 4})
    assert bob.wait_for(lambda frame: frame.get("type") == "history")["messages"] == sent[4:]
    bob.send({"action": "history"})
    assert bob.wait_for(lambda frame: frame.get("type") == "error")["error"] == "invalid_since_seq"
    alice.send({"action": "history", "sinceSeq": 5})
    assert alice.wait_for(lambda frame: frame.get("type") == "history")["messages"] == []


# Stale connections -------------------------------------------------------------------------


def test_stale_connection_is_removed_at_next_broadcast(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """An item whose $disconnect never came gets 410 and is deleted; the sender's item stays."""
    room = f"stale-{unique}"
    alice = connect(chat.url, room=room)
    alice.join()
    [own] = chat.room_items(room)
    dynamodb = chat.client("dynamodb")
    stale = _connection_id()
    now = int(time.time())
    dynamodb.put_item(
        TableName=chat.connections_table,
        Item={
            "id": {"S": stale},
            "roomId": {"S": room},
            "connectedAt": {"N": str(now * 1000)},
            "expiresAt": {"N": str(now + 8100)},
        },
    )
    assert len(chat.room_items(room)) == 2

    assert alice.say("anyone there?")["seq"] == 1
    line = chat.broadcast_of(room, 1)
    assert (line["delivered"], line["gone"], line["failed"]) == (1, 1, 0)
    assert line["connection"] == own["id"]["S"]
    # The route line is written after the cleanup, so the table is already as it stays.
    key = {"id": {"S": stale}}
    assert "Item" not in dynamodb.get_item(
        TableName=chat.connections_table, Key=key, ConsistentRead=True
    )
    assert chat.room_items(room) == [own]

    assert alice.say("still here")["seq"] == 2
    line = chat.broadcast_of(room, 2)
    assert (line["delivered"], line["gone"], line["failed"]) == (1, 0, 0)


def test_expired_connection_items_are_skipped(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """An item past its expiresAt, not yet deleted by TTL, is not posted to."""
    room = f"expired-{unique}"
    alice = connect(chat.url, room=room)
    alice.join()
    now = int(time.time())
    chat.client("dynamodb").put_item(
        TableName=chat.connections_table,
        Item={
            "id": {"S": _connection_id()},
            "roomId": {"S": room},
            "connectedAt": {"N": str((now - 9000) * 1000)},
            "expiresAt": {"N": str(now - 900)},
        },
    )
    alice.say("hello")
    summary = chat.wait_for_log(
        "sendmessage", lambda line: line.get("event") == "broadcast" and line.get("room") == room
    )
    assert (summary["recipients"], summary["delivered"], summary["gone"]) == (1, 1, 0)
    assert summary["expired_skipped"] == 1


def test_disconnect_removes_the_connection(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """Closing the socket runs $disconnect, which deletes the connection's item."""
    room = f"leaving-{unique}"
    alice = connect(chat.url, room=room)
    alice.join()
    [item] = chat.room_items(room)
    alice.close()
    line = chat.wait_for_log("disconnect", lambda line: line.get("connection") == item["id"]["S"])
    assert (line["route"], line["room"], line["outcome"]) == ("$disconnect", room, "ok")
    assert chat.room_items(room) == []


# Bad input ---------------------------------------------------------------------------------

BAD_INPUT: list[tuple[str, dict[str, Any] | str, str]] = [
    ("not JSON", "hello, room", "invalid_json"),
    ("JSON, not an object", "[1, 2]", "invalid_message"),
    ("no action", {"data": "hi"}, "missing_action"),
    ("unknown action", {"action": "dance", "data": "hi"}, "unknown_action"),
    ("missing data", {"action": "sendmessage"}, "missing_data"),
    ("data not a string", {"action": "sendmessage", "data": 42}, "invalid_data"),
    ("blank data", {"action": "sendmessage", "data": "   "}, "invalid_data"),
    ("data too large", {"action": "sendmessage", "data": "x" * (MAX_MESSAGE_BYTES + 1)},
     "message_too_large"),
    # Counted in UTF-8 bytes: 2,049 characters, 4,098 bytes.
    ("data too large in bytes", {"action": "sendmessage", "data": "\u00e9" * 2049},
     "message_too_large"),
    ("invalid room", {"action": "joinroom", "roomId": "no spaces!"}, "invalid_room"),
]  # fmt: skip


def test_bad_input_gets_an_error_and_nothing_is_broadcast(
    chat: Chat, connect: Callable[..., Client], unique: str
) -> None:
    """Each bad message gets the documented JSON error, to the sender alone; nothing is sent."""
    room = f"bad-{unique}"
    alice = connect(chat.url, room=room)
    alice.join()
    bob = connect(chat.url, room=room)
    bob.join()
    for case, payload, code in BAD_INPUT:
        alice.send(payload)
        error = alice.wait_for(lambda frame: frame.get("type") in ("error", "message"))
        assert error["type"] == "error", case
        assert error["error"] == code, case
        assert isinstance(error["message"], str) and error["message"], case
        assert error["validActions"] == VALID_ACTIONS, case
        assert set(error["examples"]) == set(VALID_ACTIONS), case
    # Nothing was numbered, stored or posted: the first message after them is seq 1, and it
    # is the first chat message anyone in the room sees.
    marker = alice.say("after the bad ones")
    assert marker["seq"] == 1
    bob.wait_for(lambda frame: _is_message(frame, "after the bad ones"))
    assert [frame["type"] for frame in bob.received] == ["joined", "message"]
    assert [frame["type"] for frame in alice.received].count("message") == 1
    assert chat.history_seqs(room) == [0, 1]
    # The invalid joinroom left alice where she was.
    assert {_id_of(chat, room, alice), _id_of(chat, room, bob)} == {
        item["id"]["S"] for item in chat.room_items(room)
    }


def _id_of(chat: Chat, room: str, client: Client) -> str:
    """The connection id behind a guest name (guest- and a hash of the id) in ``room``."""
    for item in chat.room_items(room):
        connection_id = str(item["id"]["S"])
        if "guest-" + hashlib.sha256(connection_id.encode()).hexdigest()[:8] == client.you:
            return connection_id
    raise AssertionError(f"{client.you} has no item in {room}")


def test_bad_room_on_the_url_is_refused(chat: Chat) -> None:
    """A roomId outside the allowed names refuses the connection with HTTP 400."""
    assert _refusal(chat.url, room="bad.room") == 400
    assert _refusal(chat.url, room="x" * 65) == 400


# Names of any script ------------------------------------------------------------------------

ROOM_RULE = (
    "A room name is 1 to 64 letters or digits of any script, '_' and '-' "
    "(no spaces, no invisible characters)."
)


def test_rooms_of_any_script(chat: Chat, connect: Callable[..., Client], unique: str) -> None:
    """Chinese, Spanish and Russian room names, on the URL and in joinroom; a decomposed
    "n" + U+0303 is the room "ñ"; invisible characters and 65 characters are refused."""
    for room in (f"大厅-{unique}", f"sala-\u00f1-{unique}", f"комната-{unique}"):
        member = connect(chat.url, room=room)
        assert member.join()["room"] == room
        assert member.say("你好 ¡hola! привет")["room"] == room
        assert [item["roomId"]["S"] for item in chat.room_items(room)] == [room]

    composed = f"sala-\u00f1-{unique}"
    decomposed = connect(chat.url, room=f"sala-n\u0303-{unique}")
    joined = decomposed.join()
    assert (joined["room"], joined["lastSeq"]) == (composed, 1)
    mover = connect(chat.url, room=f"elsewhere-{unique}")
    mover.join()
    assert mover.join(f"sala-n\u0303-{unique}")["room"] == composed
    assert len(chat.room_items(composed)) == 3

    for refused in ("a\u200bb", "\u202eabc", "a\u0007b", "two words", "x" * 65, ""):
        mover.send({"action": "joinroom", "roomId": refused})
        error = mover.wait_for(lambda frame: frame.get("type") in ("error", "joined"))
        assert (error["type"], error["error"], error["message"]) == (
            "error",
            "invalid_room",
            ROOM_RULE,
        ), refused
        assert _refusal(chat.url, room=refused or "\u200b") == 400


def test_user_names_of_any_script_and_tokens_of_either_implementation(
    guarded: Chat, token_secret: str, connect: Callable[..., Client], unique: str
) -> None:
    """A token minted by the Python handlers' code and one minted by the Node.js handlers'
    code both verify, whichever implementation runs the authorizer; their users are
    Chinese and Cyrillic names."""
    room = f"names-{unique}"
    xiaoming = connect(guarded.url, room=room, token=mint_token(token_secret, "小明"))
    maria = connect(guarded.url, room=room, token=_node_minted(token_secret, "Мария"))
    assert xiaoming.join()["you"] == "小明"
    assert maria.join()["you"] == "Мария"
    assert xiaoming.say("你好")["sender"] == "小明"
    assert maria.wait_for(lambda frame: _is_message(frame, "你好"))["sender"] == "小明"
    users = {item["userName"]["S"] for item in guarded.room_items(room)}
    assert users == {"小明", "Мария"}
    assert _refusal(guarded.url, token=_node_minted(secrets.token_urlsafe(48), "Мария")) == 403


def _node_minted(secret: str, user: str) -> str:
    """A token from ``mintToken`` of lambda_src/chat-nodejs/tokens.mjs, run by ``node``."""
    tokens = (LAMBDA_SRC / "chat-nodejs" / "tokens.mjs").as_uri()
    script = (
        f"import {{ mintToken }} from {json.dumps(tokens)};"
        "const [secret, user] = JSON.parse(process.argv[1]);"
        "process.stdout.write(mintToken(secret, user));"
    )
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: no Node.js token can be minted")
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps([secret, user])],
        capture_output=True,
        text=True,
        check=True,
        timeout=scaled(60),
    )
    return done.stdout


# Authorizer and Origin ----------------------------------------------------------------------


def test_missing_token_is_refused_with_401(guarded: Chat) -> None:
    """No ?token= at all: API Gateway answers 401 without calling the authorizer."""
    assert _refusal(guarded.url, room="lobby") == 401


def test_forged_token_is_refused_with_403(guarded: Chat, token_secret: str) -> None:
    """A token signed with another key, or altered after signing, is denied: 403."""
    other_key = secrets.token_urlsafe(48)
    assert _refusal(guarded.url, token=mint_token(other_key, "mallory")) == 403
    header, _, signature = mint_token(token_secret, "alice").split(".")
    claims = {"sub": "admin", "iat": int(time.time()), "exp": int(time.time()) + 300}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _refusal(guarded.url, token=f"{header}.{payload}.{signature}") == 403


def test_expired_token_is_refused_with_403(guarded: Chat, token_secret: str) -> None:
    """A correctly signed token past its exp (beyond the 30 s clock leeway) is denied: 403."""
    expired = mint_token(token_secret, "alice", ttl_seconds=300, now=time.time() - 3600)
    assert _refusal(guarded.url, token=expired) == 403


def test_valid_token_names_the_sender(
    guarded: Chat, token_secret: str, connect: Callable[..., Client], unique: str
) -> None:
    """A valid token connects, and its user is ``you`` on join and ``sender`` on messages."""
    room = f"signed-{unique}"
    alice = connect(guarded.url, room=room, token=mint_token(token_secret, "alice"))
    bob = connect(guarded.url, room=room, token=mint_token(token_secret, "bob"))
    assert alice.join()["you"] == "alice"
    assert bob.join()["you"] == "bob"
    assert alice.say("hi bob")["sender"] == "alice"
    assert bob.wait_for(lambda frame: _is_message(frame, "hi bob"))["sender"] == "alice"
    users = {item["userName"]["S"] for item in guarded.room_items(room)}
    assert users == {"alice", "bob"}


def test_tokens_never_reach_the_logs(
    guarded: Chat, token_secret: str, local_stack: LocalAWSProcess, unique: str
) -> None:
    """Neither an accepted nor a refused token appears in any function log or access log."""
    accepted = mint_token(token_secret, f"user-{unique}")
    refused = mint_token(secrets.token_urlsafe(48), f"forger-{unique}")
    Client(guarded.url, token=accepted).close()
    assert _refusal(guarded.url, token=refused) == 403
    # Both authorizations have been logged (the deny is this test's or an earlier one's).
    allowed = guarded.wait_for_log("authorizer", lambda line: line.get("user") == f"user-{unique}")
    assert (allowed["outcome"], allowed["reason"]) == ("allow", "valid_token")
    guarded.wait_for_log(
        "authorizer",
        lambda line: line.get("outcome") == "deny" and line.get("reason") == "bad_signature",
    )
    logs = guarded.client("logs")
    text = list(local_stack.output())
    for group in logs.describe_log_groups(logGroupNamePrefix="/aws/")["logGroups"]:
        if AUTH_STACK not in group["logGroupName"]:
            continue
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"])
        text.extend(event["message"] for page in pages for event in page["events"])
    assert text
    for token in (accepted, refused):
        signature = token.rsplit(".", 1)[1]
        assert not [line for line in text if token in line or signature in line]


def test_disallowed_origin_is_refused_with_403(guarded: Chat, token_secret: str) -> None:
    """With allowed_origins set, $connect refuses another Origin with 403, even with a token."""
    token = mint_token(token_secret, "alice")
    assert _refusal(guarded.url, token=token, origin="https://evil.example") == 403
    assert _refusal(guarded.url, token=token, origin=f"{ALLOWED_ORIGIN}.evil.example") == 403


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, None], ids=["allowed", "absent"])
def test_allowed_or_absent_origin_connects(
    guarded: Chat, token_secret: str, connect: Callable[..., Client], origin: str | None
) -> None:
    """The listed Origin connects; so does a client sending none (left to the authorizer)."""
    client = connect(guarded.url, token=mint_token(token_secret, "alice"), origin=origin)
    assert client.join()["you"] == "alice"
