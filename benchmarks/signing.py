"""What verifying SigV4 signatures costs a ``@connections`` post.

Run: ``.venv/bin/python benchmarks/signing.py [--json PATH]``

One open connection; PostToConnection to it, then its receipt, one at a time, signed two
ways: with the local default credentials (a key the stack did not issue: accepted unverified,
as an administrator's) and with an IAM user's access key (the stack issued it: the signature
is recomputed and compared), in rounds of 1,000 alternating between the two. Reported for
each: the round trip's median and the stack process's CPU per post (median of the rounds),
so the difference is what verification adds on the hot path. Then
the verification alone, in this process: a request botocore signed, checked with the
signing key cached (every post after the first of a key and day) and derived anew.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import boto3
import websocket
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from common import (
    REGION,
    Clients,
    Report,
    local_stack,
    parse_arguments,
    process_cpu_seconds,
    progress,
    time_calls,
)
from gateway import TIMEOUT_S, deploy_handlers, wire

from wslab.aws import client
from wslab.local.sigv4 import Authorization, SignatureChecker, SignedRequest, read_authorization

ROUNDS = 6
POSTS_PER_ROUND = 1_000
WARM_UP = 100
VERIFICATIONS = 5_000


def post_and_receive(
    management: Any, connection: websocket.WebSocket, connection_id: str
) -> Callable[[], None]:
    def once() -> None:
        management.post_to_connection(ConnectionId=connection_id, Data=b"x")
        connection.recv()

    return once


def measure(report: Report, posters: dict[str, Any], url: str, stack_pid: int) -> None:
    """Rounds alternating between the posters, so a busy moment of the machine weighs on
    both alike; per poster, the median of the rounds."""
    connection = websocket.create_connection(url, timeout=TIMEOUT_S)
    samples: dict[str, list[float]] = {label: [] for label in posters}
    cpu_ms: dict[str, list[float]] = {label: [] for label in posters}
    try:
        connection.send("whoami")
        connection_id = connection.recv()
        calls = {
            label: post_and_receive(management, connection, connection_id)
            for label, management in posters.items()
        }
        for once in calls.values():
            for _ in range(WARM_UP):
                once()
        for round_number in range(ROUNDS):
            progress(f"round {round_number + 1} of {ROUNDS}")
            for label, once in calls.items():
                cpu_before = process_cpu_seconds(stack_pid)
                samples[label] += time_calls(once, POSTS_PER_ROUND, warm_up=0)
                spent = process_cpu_seconds(stack_pid) - cpu_before
                cpu_ms[label].append(spent * 1000 / POSTS_PER_ROUND)
    finally:
        connection.close()
    for label in posters:
        report.add(f"post and receive, {label}, median", statistics.median(samples[label]), "ms")
        report.add(f"stack CPU per post, {label}", statistics.median(cpu_ms[label]), "ms")


def measure_verification(report: Report) -> None:
    url = "http://127.0.0.1:4577/abcdefghij/prod/@connections/AbCdEfGhIjKlMnO%3D"
    request = AWSRequest(method="POST", url=url, data=b"x" * 100)
    SigV4Auth(Credentials("AKIABENCH", "secret"), "execute-api", REGION).add_auth(request)
    headers = {name: str(value) for name, value in request.headers.items()}
    authorization = read_authorization(headers["Authorization"], headers)
    assert isinstance(authorization, Authorization)
    path = url.removeprefix("http://127.0.0.1:4577")
    received = SignedRequest("POST", "127.0.0.1:4577", path, "", headers, b"x" * 100)
    cached = SignatureChecker()

    def with_cached_key() -> None:
        assert cached.verify([received], authorization, "secret") is None

    def with_a_new_key() -> None:
        assert SignatureChecker().verify([received], authorization, "secret") is None

    for label, verify in (("signing key cached", with_cached_key), ("key derived", with_a_new_key)):
        samples = time_calls(verify, VERIFICATIONS, warm_up=WARM_UP)
        median_us = statistics.median(samples) * 1000
        report.add(f"verify one signature, {label}, median", median_us, "µs")


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("signing")
    with local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        progress("deploying a whoami function and its WebSocket API")
        functions = deploy_handlers(aws)
        api = wire(aws, "bench-signing", {"$default": functions["whoami"]}, ("$default",))
        iam = aws("iam")
        iam.create_user(UserName="bench-poster")
        key = iam.create_access_key(UserName="bench-poster")["AccessKey"]
        default = client("apigatewaymanagementapi", api.management_url, REGION)
        issued = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=api.management_url,
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        posters = {
            "default credentials (not verified)": default,
            "an IAM user's key (verified)": issued,
        }
        measure(report, posters, api.url, stack.pid)
    measure_verification(report)
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
