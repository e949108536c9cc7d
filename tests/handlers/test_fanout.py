"""Posting to one connection, checked call by call with botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from chat import clients
from chat.fanout import Delivery, post_with_retry

from .support import EVENT_ENDPOINT, REGION

TARGET = "TARGETtttttttt="
DATA = b'{"type":"message","text":"hi"}'
EXPECTED = {"ConnectionId": TARGET, "Data": DATA}


@pytest.fixture
def client() -> Any:
    """The client the handlers use, configured as in production."""
    return clients.management_api(EVENT_ENDPOINT, pool_size=4)


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class Sleeps(list[float]):
    """Records the backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def post(client: Any, max_attempts: int = 3, sleeps: Sleeps | None = None) -> Any:
    return post_with_retry(
        client,
        TARGET,
        DATA,
        max_attempts=max_attempts,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def test_delivered(client: Any, stub: Stubber) -> None:
    """One call with the connection id and the bytes as given."""
    stub.add_response("post_to_connection", {}, EXPECTED)
    result = post(client)
    assert (result.delivery, result.attempts, result.error) == (Delivery.DELIVERED, 1, None)


def test_gone_exception_is_a_client_error() -> None:
    """Why the order of the except clauses matters: botocore's modelled errors subclass
    ClientError, so a `except ClientError` placed first would swallow GoneException."""
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url=EVENT_ENDPOINT, region_name=REGION
    )
    assert issubclass(client.exceptions.GoneException, ClientError)


def test_gone_is_recognised_before_generic_client_error(client: Any, stub: Stubber) -> None:
    """Regression for awsdocs' Python chat: a 410 is GONE, not a generic failure."""
    stub.add_client_error("post_to_connection", "GoneException", "", 410, expected_params=EXPECTED)
    result = post(client)
    assert (result.delivery, result.attempts) == (Delivery.GONE, 1)


def test_gone_is_not_retried(client: Any, stub: Stubber) -> None:
    """A gone connection stays gone: one call, even with attempts to spare."""
    stub.add_client_error("post_to_connection", "GoneException", "", 410)
    assert post(client, max_attempts=5).attempts == 1


@pytest.mark.parametrize(
    "code", ["LimitExceededException", "ThrottlingException", "TooManyRequestsException"]
)
def test_throttling_is_retried_with_growing_backoff(client: Any, stub: Stubber, code: str) -> None:
    """Throttled twice, then delivered; each wait is jittered under a doubling ceiling."""
    for _ in range(2):
        stub.add_client_error(
            "post_to_connection", code, "slow down", 429, expected_params=EXPECTED
        )
    stub.add_response("post_to_connection", {}, EXPECTED)
    sleeps = Sleeps()

    result = post(client, max_attempts=3, sleeps=sleeps)

    assert (result.delivery, result.attempts) == (Delivery.DELIVERED, 3)
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.05
    assert 0 <= sleeps[1] <= 0.10


def test_throttling_gives_up_after_max_attempts(client: Any, stub: Stubber) -> None:
    """Bounded: exactly max_attempts calls, then FAILED with the code."""
    for _ in range(3):
        stub.add_client_error("post_to_connection", "LimitExceededException", "", 429)
    sleeps = Sleeps()

    result = post(client, max_attempts=3, sleeps=sleeps)

    assert (result.delivery, result.attempts, result.error) == (
        Delivery.FAILED,
        3,
        "LimitExceededException",
    )
    assert len(sleeps) == 2


def test_backoff_is_capped(client: Any, stub: Stubber) -> None:
    """However many attempts, no single wait exceeds one second."""
    for _ in range(9):
        stub.add_client_error("post_to_connection", "LimitExceededException", "", 429)
    stub.add_response("post_to_connection", {})
    sleeps = Sleeps()
    assert post(client, max_attempts=10, sleeps=sleeps).delivery is Delivery.DELIVERED
    assert len(sleeps) == 9
    assert max(sleeps) <= 1.0


def test_server_errors_are_retried(client: Any, stub: Stubber) -> None:
    """A 5xx is transient."""
    stub.add_client_error("post_to_connection", "InternalServerError", "", 500)
    stub.add_response("post_to_connection", {})
    assert post(client).delivery is Delivery.DELIVERED


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ForbiddenException", 403),
        ("PayloadTooLargeException", 413),
        ("BadRequestException", 400),
    ],
)
def test_other_errors_fail_at_once(client: Any, stub: Stubber, code: str, status: int) -> None:
    """Not throttling, not gone: one call, FAILED, the code kept for the summary."""
    stub.add_client_error("post_to_connection", code, "", status)
    result = post(client)
    assert (result.delivery, result.attempts, result.error) == (Delivery.FAILED, 1, code)


def test_connection_errors_are_retried(client: Any) -> None:
    """A request that never reached API Gateway is sent again by us, not by the SDK."""
    sends: list[int] = []

    def refuse_first_then_accept(**_: Any) -> AWSResponse:
        sends.append(1)
        if len(sends) == 1:
            raise EndpointConnectionError(endpoint_url=EVENT_ENDPOINT)
        return AWSResponse(EVENT_ENDPOINT, 200, {}, _EmptyBody())

    # Stubber answers at before-call, which skips sending; a connection error only
    # exists at before-send, so this one test hooks there instead.
    client.meta.events.register(
        "before-send.apigatewaymanagementapi.PostToConnection", refuse_first_then_accept
    )
    result = post(client)
    assert (result.delivery, result.attempts) == (Delivery.DELIVERED, 2)
    assert len(sends) == 2


def test_sdk_does_not_retry_on_its_own(client: Any) -> None:
    """The production client makes one attempt per call, so retries are only ours."""
    sends: list[int] = []

    def refuse(**_: Any) -> None:
        sends.append(1)
        raise EndpointConnectionError(endpoint_url=EVENT_ENDPOINT)

    client.meta.events.register("before-send.apigatewaymanagementapi.PostToConnection", refuse)
    result = post(client, max_attempts=2)
    assert (result.delivery, result.error) == (Delivery.FAILED, "EndpointConnectionError")
    assert len(sends) == 2


class _EmptyBody:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""
