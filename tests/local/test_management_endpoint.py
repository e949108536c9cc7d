"""A management client built from the event, as AWS documents it, reaches the local stack.

Handlers written for AWS make their client with ``https://{domainName}/{stage}`` (the
event's ``domainName`` is ``<apiId>.execute-api.<region>.amazonaws.com``), in Python with
boto3 and in Node.js with the AWS SDK v3. Inside a local worker, requests for an API this
stack serves go to the stack; every other request is left as it is. Each test runs the same
handler in both languages, through real WebSocket clients or a direct Invoke.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import websocket

from tests.conformance.support import assert_everyone_hears, connect, connected, poll
from tests.local.lambda_helpers import (
    create_function,
    create_id_table,
    create_package_function,
    invoke_json,
    requires_node_sdk,
)
from tests.support import REGION
from wslab.deploy.wiring import WiredApi, wire_websocket_api

PYTHON_HANDLER = r"""
import json, os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


class Seen(Exception):
    pass


def spy(request, **kwargs):
    raise Seen(request.url)  # registered after wslab's own handler: sees the final URL


def post(endpoint, connection_id, data, spying=False, secret=None):
    # secret: the role's key and token, signed with another secret
    signing = {
        "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": secret,
        "aws_session_token": os.environ["AWS_SESSION_TOKEN"],
    } if secret else {}
    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, **signing)
    if spying:
        client.meta.events.register("before-send.apigatewaymanagementapi", spy)
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data.encode())
        return "ok"
    except Seen as seen:
        return f"sent to {seen}"
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def handler(event, context):
    if "probe" in event:
        probe = event["probe"]
        return post(
            probe["endpoint"], probe["connectionId"], "probe", probe.get("spy", False),
            probe.get("secret"),
        )
    if "variable" in event:
        return os.environ.get(event["variable"])
    ctx = event["requestContext"]
    if ctx["eventType"] == "CONNECT":
        TABLE.put_item(Item={"id": ctx["connectionId"], "domainName": ctx["domainName"]})
    elif ctx["eventType"] == "DISCONNECT":
        TABLE.delete_item(Key={"id": ctx["connectionId"]})
    else:
        endpoint = f"https://{ctx['domainName']}/{ctx['stage']}"
        for item in TABLE.scan()["Items"]:
            post(endpoint, item["id"], event["body"])
    return {"statusCode": 200}
"""

NODE_HANDLER = r"""
import diagnostics from 'node:diagnostics_channel';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.TABLE_NAME;

// The spy sees each request as Node is about to send it, and stops it there.
let spying = false;
diagnostics.subscribe('http.client.request.start', ({ request }) => {
  const url = `${request.protocol}//${request.host}${request.path}`;
  if (spying) request.destroy(new Error(`sent to ${url}`));
});

async function post(endpoint, ConnectionId, data, spy = false, secret = null) {
  // No endpoint (null): the SDK's own resolution, as for a client given none.
  const given = endpoint ? { endpoint } : {};
  // secret: the role's key and token, signed with another secret.
  const credentials = secret ? {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: secret,
    sessionToken: process.env.AWS_SESSION_TOKEN,
  } : undefined;
  const client = new ApiGatewayManagementApiClient({
    ...given, ...(credentials ? { credentials } : {}), maxAttempts: 1,
  });
  spying = spy;
  try {
    await client.send(new PostToConnectionCommand({ ConnectionId, Data: data }));
    return 'ok';
  } catch (error) {
    return error.message.startsWith('sent to ') ? error.message : `${error.name}: ${error.message}`;
  } finally {
    spying = false;
  }
}

export const handler = async (event) => {
  if (event.probe) {
    const { endpoint, connectionId, spy, secret } = event.probe;
    return post(endpoint, connectionId, 'probe', spy, secret);
  }
  if (event.variable) return process.env[event.variable] ?? null;
  const { eventType, connectionId, domainName, stage } = event.requestContext;
  if (eventType === 'CONNECT') {
    await db.send(new PutCommand({ TableName, Item: { id: connectionId, domainName } }));
  } else if (eventType === 'DISCONNECT') {
    await db.send(new DeleteCommand({ TableName, Key: { id: connectionId } }));
  } else {
    const { Items } = await db.send(new ScanCommand({ TableName }));
    for (const item of Items) await post(`https://${domainName}/${stage}`, item.id, event.body);
  }
  return { statusCode: 200 };
};
"""

LANGUAGES = ["python", pytest.param("nodejs", marks=requires_node_sdk)]


@dataclass(frozen=True)
class Deployed:
    function: str
    table: str
    api: WiredApi

    @property
    def domain_name(self) -> str:
        return f"{self.api.api_id}.execute-api.{REGION}.amazonaws.com"


@pytest.fixture(scope="module", params=LANGUAGES)
def deployed(request: pytest.FixtureRequest, aws: Callable[..., Any]) -> Deployed:
    """The handler in one language, on ``$connect``, ``$disconnect`` and ``$default``."""
    tag = uuid.uuid4().hex[:8]
    name, table = f"mgmt-{request.param}-{tag}", f"mgmt-{request.param}-{tag}"
    create_id_table(aws, table)
    settings: dict[str, Any] = {"Timeout": 30, "Environment": {"Variables": {"TABLE_NAME": table}}}
    if request.param == "python":
        create_function(aws, name, PYTHON_HANDLER, **settings)
    else:
        create_package_function(aws, name, {"index.mjs": NODE_HANDLER}, **settings)
    routes = dict.fromkeys(("$connect", "$disconnect", "$default"), name)
    api = wire_websocket_api(aws("apigatewayv2"), aws("lambda"), name, routes)
    return Deployed(name, table, api)


def _connection_ids(aws: Callable[..., Any], deployed: Deployed) -> list[dict[str, Any]]:
    return list(aws("dynamodb").scan(TableName=deployed.table, ConsistentRead=True)["Items"])


@pytest.fixture
def client(aws: Callable[..., Any], deployed: Deployed) -> Iterator[websocket.WebSocket]:
    """The one live connection (its item the only one in the table)."""
    ws = connect(deployed.api.url)
    yield ws
    ws.close()
    poll(lambda: not _connection_ids(aws, deployed), what="the $disconnect")


def _probe(
    aws: Callable[..., Any], deployed: Deployed, endpoint: str | None, **options: Any
) -> str:
    """What posting to the one live connection through ``endpoint`` gave, in the handler."""
    (item,) = _connection_ids(aws, deployed)
    probe = {"endpoint": endpoint, "connectionId": item["id"]["S"], **options}
    result, response = invoke_json(aws, deployed.function, {"probe": probe})
    assert "FunctionError" not in response, result
    return str(result)


def test_broadcast_from_the_event_reaches_three_clients(
    aws: Callable[..., Any], deployed: Deployed
) -> None:
    """``https://{domainName}/{stage}``, unchanged from AWS's documentation, posts to all."""
    with connected(deployed.api.url, 3) as clients:
        assert_everyone_hears(clients)
    poll(lambda: not _connection_ids(aws, deployed), what="the three $disconnects")


def test_the_event_keeps_aws_domain_name(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """The handler sees AWS's ``domainName``, not a local address."""
    (item,) = _connection_ids(aws, deployed)
    assert item["domainName"]["S"] == deployed.domain_name


def test_endpoint_from_api_id_and_region(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`` reaches the stack."""
    endpoint = f"https://{deployed.api.api_id}.execute-api.{REGION}.amazonaws.com/dev"
    assert _probe(aws, deployed, endpoint) == "ok"
    assert client.recv() == "probe"


def test_endpoint_ending_in_a_slash(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """``https://{domainName}/{stage}/``: botocore drops the extra ``/``, the SDK v3 sends
    ``/{stage}//@connections/{id}``; delivered either way (docs/apigw-websocket.md §6.2)."""
    assert _probe(aws, deployed, f"https://{deployed.domain_name}/dev/") == "ok"
    assert client.recv() == "probe"


def test_the_functions_credentials_are_verified(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """The role's key signing with another secret is refused, as API Gateway refuses a
    signature that does not match, though the redirect changed the URL after signing."""
    endpoint = f"https://{deployed.domain_name}/dev"
    result = _probe(aws, deployed, endpoint, secret="not-the-secret")
    assert "InvalidSignatureException" in result, result
    assert "does not match the signature you provided" in result
    assert _probe(aws, deployed, endpoint) == "ok"
    assert client.recv() == "probe"  # the refused post never came


def test_endpoint_without_the_stage_is_forbidden_as_on_aws(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """Leaving the stage out gets AWS's 403 ``Forbidden``, not a post to the connection."""
    result = _probe(aws, deployed, f"https://{deployed.domain_name}")
    assert result.startswith("ForbiddenException")
    assert "Forbidden" in result.split(":", 1)[1]


def test_an_api_created_after_the_environment_started(
    aws: Callable[..., Any], deployed: Deployed
) -> None:
    """A warm environment learns of an API created after it started, on first use."""
    invoke_json(aws, deployed.function, {"variable": "HOME"})  # the environment is running
    name = f"{deployed.function}-later"
    routes = dict.fromkeys(("$connect", "$disconnect", "$default"), deployed.function)
    later = wire_websocket_api(aws("apigatewayv2"), aws("lambda"), name, routes)
    ws = connect(later.url)
    try:
        endpoint = f"https://{later.api_id}.execute-api.{REGION}.amazonaws.com/dev"
        assert _probe(aws, deployed, endpoint) == "ok"
        assert ws.recv() == "probe"
    finally:
        ws.close()
    poll(lambda: not _connection_ids(aws, deployed), what="the $disconnect")


@pytest.mark.parametrize(
    "host",
    [
        "zzzzzzzzzz.execute-api.us-east-1.amazonaws.com",  # no such API here
        "{api}.execute-api.eu-west-1.amazonaws.com",  # the API's id, in another region
        "example.com",
    ],
)
def test_other_hosts_are_left_alone(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket, host: str
) -> None:
    """A request for a host this stack does not serve goes where the handler sent it."""
    host = host.format(api=deployed.api.api_id)
    result = _probe(aws, deployed, f"https://{host}/dev", spy=True)
    assert result.startswith(f"sent to https://{host}"), result
    assert "/dev/@connections/" in result


def test_wss_endpoint_is_not_redirected(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket
) -> None:
    """A ``wss://`` endpoint fails as it does on AWS: botocore refuses the scheme; the SDK
    v3 sends plain HTTP to the AWS host's port 80, where API Gateway does not listen."""
    endpoint = f"wss://{deployed.domain_name}/dev"
    result = _probe(aws, deployed, endpoint, spy=True)
    if deployed.function.startswith("mgmt-python"):
        assert result.startswith(f"sent to {endpoint}/@connections/")
        assert _probe(aws, deployed, endpoint) == (
            "HTTPClientError: An HTTP Client raised an unhandled exception: "
            "Not supported URL scheme wss"
        )
    else:
        assert result.startswith(f"sent to http://{deployed.domain_name}/dev/@connections/")


def test_the_worker_sets_no_management_endpoint_variable(
    aws: Callable[..., Any], deployed: Deployed, endpoint_url: str
) -> None:
    """Lambda sets no ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, and neither does the
    stack: the event's endpoint reaches it through the redirect alone. ``AWS_ENDPOINT_URL``
    stays, for every other service."""
    variable, _ = invoke_json(
        aws, deployed.function, {"variable": "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"}
    )
    assert variable is None
    general, _ = invoke_json(aws, deployed.function, {"variable": "AWS_ENDPOINT_URL"})
    assert general == endpoint_url


def test_a_client_given_no_endpoint_goes_to_aws_endpoint_url(
    aws: Callable[..., Any], deployed: Deployed, client: websocket.WebSocket, endpoint_url: str
) -> None:
    """A management client made without an endpoint takes ``AWS_ENDPOINT_URL``, the stack's
    root, like every client in the worker. On AWS it would go to
    ``https://execute-api.{region}.amazonaws.com/@connections/{id}``, a host that does not
    resolve (aws/aws-sdk-go#2818, boto/boto3#1914): the mistake fails there, while the stack
    root still serves ``/@connections/{id}`` by connection id (gateway/management.py), so
    locally the post is delivered."""
    sent = _probe(aws, deployed, None, spy=True)
    # (Node's spy shows the host without its port.)
    root = endpoint_url if deployed.function.startswith("mgmt-python") else "http://127.0.0.1"
    assert sent.startswith(f"sent to {root}/@connections/"), sent
    assert _probe(aws, deployed, None) == "ok"
    assert client.recv() == "probe"


def test_the_lookup_variable_is_hidden_from_the_handler(
    aws: Callable[..., Any], deployed: Deployed
) -> None:
    """The redirect's own setting is taken out of the environment before the handler runs."""
    result, _ = invoke_json(aws, deployed.function, {"variable": "_WSLAB_EXECUTE_API_LOOKUP"})
    assert result is None


def test_the_stack_answers_which_hosts_it_serves(endpoint_url: str, deployed: Deployed) -> None:
    """``/_wslab/execute-api/<host>``: the API's local base for its own host, else 404;
    ``/_wslab/execute-api/``: every API's."""
    url = f"{endpoint_url}/_wslab/execute-api/"
    with urllib.request.urlopen(url) as response:
        hosts = json.loads(response.read())["hosts"]
    assert hosts[deployed.domain_name] == f"{endpoint_url}/{deployed.api.api_id}"
    with urllib.request.urlopen(url + deployed.domain_name) as response:
        assert json.loads(response.read()) == {"endpoint": f"{endpoint_url}/{deployed.api.api_id}"}
    for other in (deployed.domain_name.replace(REGION, "eu-west-1"), "example.com"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + other)
        assert refused.value.code == 404
