"""The five integration types on WebSocket routes: AWS (Lambda, non-proxy), HTTP, HTTP_PROXY,
MOCK and AWS_PROXY; request templates, passthrough, integration and route responses, content
handling. Made through the control plane (boto3) and served over real sockets.

Behaviour: docs/apigw-websocket.md §5, §5.1, §5.2."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from websocket import ABNF

from tests.conformance.support import (
    WAIT,
    ask,
    connect,
    error_frame_pattern,
    new_tag,
    poll,
    refused_status,
)
from tests.local.iam_helpers import allow, create_role
from tests.local.lambda_helpers import create_function
from tests.support import scaled
from wslab.deploy.wiring import allow_api_gateway, integration_uri

# A function for AWS (non-proxy) integrations: its event is the request template's output.
NON_PROXY = r"""
def handler(event, context):
    if event.get("fail"):
        raise ValueError("bad input: " + str(event["fail"]))
    return {"got": event}
"""


class _Backend(BaseHTTPRequestHandler):
    """The HTTP backend: records what it got; the path says how to answer (``/slow`` waits
    until the test lets it go)."""

    received: ClassVar[list[tuple[str, str, bytes]]] = []
    headers_seen: ClassVar[list[dict[str, str]]] = []
    release: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((self.command, self.path, body))
        self.headers_seen.append(dict(self.headers.items()))
        if self.path == "/missing":
            self._answer(404, b'{"error": "no such thing"}')
        elif self.path == "/binary":
            self._answer(200, bytes([0, 159, 146, 150]))
        elif self.path == "/slow":
            self.release.wait(scaled(WAIT))
            self._answer(200, b"late")
        else:
            self._answer(201, json.dumps({"echo": body.decode()}).encode())

    do_PUT = do_POST

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1, port 0; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Backend.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def non_proxy_function(aws: Any) -> str:
    name = f"non-proxy-{new_tag()}"
    return str(create_function(aws, name, NON_PROXY)["FunctionArn"])


class Api:
    """A WebSocket API built call by call, as a user would with boto3."""

    def __init__(self, aws: Any, selection: str = "$request.body.action") -> None:
        self.apigw = aws("apigatewayv2")
        created = self.apigw.create_api(
            Name=f"integrations-{new_tag()}",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression=selection,
        )
        self.api_id = created["ApiId"]
        self.endpoint = created["ApiEndpoint"]

    def integration(self, **settings: Any) -> str:
        return str(self.apigw.create_integration(ApiId=self.api_id, **settings)["IntegrationId"])

    def response(self, integration_id: str, key: str, **settings: Any) -> None:
        self.apigw.create_integration_response(
            ApiId=self.api_id,
            IntegrationId=integration_id,
            IntegrationResponseKey=key,
            **settings,
        )

    def route(
        self, key: str, integration_id: str, *, two_way: bool = True, route_response: bool = True
    ) -> None:
        settings: dict[str, Any] = {}
        if two_way:
            settings["RouteResponseSelectionExpression"] = "$default"
        route_id = self.apigw.create_route(
            ApiId=self.api_id, RouteKey=key, Target=f"integrations/{integration_id}", **settings
        )["RouteId"]
        if route_response:
            self.apigw.create_route_response(
                ApiId=self.api_id, RouteId=route_id, RouteResponseKey="$default"
            )

    def deploy(self) -> str:
        self.apigw.create_stage(ApiId=self.api_id, StageName="dev")
        self.apigw.create_deployment(ApiId=self.api_id, StageName="dev")
        return f"{self.endpoint}/dev"


def mock_integration(api: Api, reply_template: str, **settings: Any) -> str:
    integration = api.integration(
        IntegrationType="MOCK",
        RequestTemplates={"$default": '{"statusCode": 200}'},
        TemplateSelectionExpression="\\$default",
        **settings,
    )
    api.response(integration, "$default", ResponseTemplates={"$default": reply_template})
    return integration


def test_mock_reply_comes_from_the_response_template(aws: Any) -> None:
    """MOCK: the integration response's template is the reply, with ``$context`` filled."""
    api = Api(aws)
    integration = mock_integration(
        api,
        '{"route": "$context.routeKey", "id": "$context.connectionId", "api": "$context.apiId"}',
    )
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        reply = json.loads(ask(ws, "hello"))
        assert reply["route"] == "$default" and reply["api"] == api.api_id
        assert len(reply["id"]) == 16
    finally:
        ws.close()


def test_mock_status_selects_the_integration_response(aws: Any) -> None:
    """The ``statusCode`` a MOCK request template writes selects ``/4\\d\\d/``, not ``$default``."""
    api = Api(aws)
    integration = api.integration(
        IntegrationType="MOCK",
        RequestTemplates={
            "ok": '{"statusCode": 200}',
            "missing": '{"statusCode": 404}',
        },
        TemplateSelectionExpression="${request.body.action}",
    )
    api.response(integration, "/4\\d\\d/", ResponseTemplates={"$default": "not found"})
    api.response(integration, "$default", ResponseTemplates={"$default": "fine"})
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        assert ask(ws, {"action": "missing"}) == "not found"
        assert ask(ws, {"action": "ok"}) == "fine"
    finally:
        ws.close()


def test_one_way_routes_send_nothing_back(aws: Any) -> None:
    """Without ``RouteResponseSelectionExpression`` and a ``$default`` route response, the
    integration's output never reaches the client, proxy or not."""
    api = Api(aws)
    silent = mock_integration(api, "should not arrive")
    loud = mock_integration(api, "answer")
    api.route("silent", silent, two_way=False, route_response=False)
    api.route("halfway", silent, two_way=True, route_response=False)
    api.route("$default", loud)
    ws = connect(api.deploy())
    try:
        for action in ("silent", "halfway", "silent", "halfway"):
            ws.send(json.dumps({"action": action}))
        # Each one-way message is followed by a two-way one: only the answers come back.
        assert [ask(ws, "x") for _ in range(3)] == ["answer"] * 3
    finally:
        ws.close()


def test_proxy_route_needs_a_route_response(aws: Any, behave: str) -> None:
    """AWS_PROXY: ``RouteResponseSelectionExpression`` alone does not make the route two-way;
    with a ``$default`` route response the function's ``body`` comes back."""
    api = Api(aws)
    arn = aws("lambda").get_function(FunctionName=behave)["Configuration"]["FunctionArn"]
    proxy = api.integration(
        IntegrationType="AWS_PROXY",
        IntegrationUri=integration_uri(aws("apigatewayv2").meta.region_name, arn),
    )
    loud = mock_integration(api, "mock answer")
    api.route("halfway", proxy, two_way=True, route_response=False)
    api.route("echo", proxy)
    api.route("$default", loud)
    allow_api_gateway(aws("lambda"), arn, api.api_id)
    ws = connect(api.deploy())
    try:
        ws.send(json.dumps({"action": "halfway"}))
        assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"
        assert ask(ws, "x") == "mock answer"
    finally:
        ws.close()


def test_a_route_response_without_a_selection_expression_answers(aws: Any, behave: str) -> None:
    """A ``$default`` route response on a route with no ``RouteResponseSelectionExpression``
    (serverless-patterns' apigw-websocket-api-connection-dynamodb template, whose README shows
    the reply): the function's ``body`` comes back."""
    api = Api(aws)
    arn = aws("lambda").get_function(FunctionName=behave)["Configuration"]["FunctionArn"]
    proxy = api.integration(
        IntegrationType="AWS_PROXY",
        IntegrationUri=integration_uri(aws("apigatewayv2").meta.region_name, arn),
    )
    api.route("echo", proxy, two_way=False, route_response=True)
    allow_api_gateway(aws("lambda"), arn, api.api_id)
    ws = connect(api.deploy())
    try:
        assert json.loads(ask(ws, {"action": "echo"}))["route"] == "echo"
    finally:
        ws.close()


def test_passthrough_never_refuses_with_an_error_frame(aws: Any, backend: str) -> None:
    """``PassthroughBehavior`` ``NEVER`` without a matching template: the backend is not
    called; the client gets the ``Unsupported Media Type`` error frame."""
    _Backend.received.clear()
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP",
        IntegrationUri=f"{backend}/never",
        IntegrationMethod="POST",
        PassthroughBehavior="NEVER",
        RequestTemplates={"known": '{"known": true}'},
        TemplateSelectionExpression="${request.body.action}",
    )
    api.response(integration, "$default")
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        answer = ask(ws, {"action": "unknown"})
        connection_id = json.loads(answer)["connectionId"]
        assert error_frame_pattern("Unsupported Media Type", connection_id).fullmatch(answer)
        assert json.loads(ask(ws, {"action": "known"})) == {"echo": '{"known": true}'}
        assert [path for _, path, _ in _Backend.received] == ["/never"]
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("behaviour", "passes"),
    [("WHEN_NO_MATCH", True), ("WHEN_NO_TEMPLATES", False)],
)
def test_passthrough_when_no_template_matches(
    aws: Any, backend: str, behaviour: str, passes: bool
) -> None:
    """No template matches: WHEN_NO_MATCH passes the body as it is, WHEN_NO_TEMPLATES (the
    integration has templates) refuses it."""
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP",
        IntegrationUri=f"{backend}/echo",
        IntegrationMethod="POST",
        PassthroughBehavior=behaviour,
        RequestTemplates={"known": "{}"},
        TemplateSelectionExpression="${request.body.action}",
    )
    api.response(integration, "/2\\d\\d/")
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        answer = json.loads(ask(ws, '{"action": "other", "n": 1}'))
        if passes:
            assert answer == {"echo": '{"action": "other", "n": 1}'}
        else:
            assert answer["message"] == "Unsupported Media Type"
    finally:
        ws.close()


def test_http_request_and_response_templates(aws: Any, backend: str) -> None:
    """HTTP: the request template's output is POSTed to the URL; the backend's status picks
    the integration response, whose template (chosen by the status) shapes the reply."""
    _Backend.received.clear()
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP",
        IntegrationUri=f"{backend}/echo",
        IntegrationMethod="PUT",
        RequestTemplates={
            "$default": '{"data": $input.json(\'$.data\'), "who": "$context.connectionId",'
            ' "stage": "$context.stage", "say": "$util.escapeJavaScript($input.path(\'$.say\'))"}'
        },
        TemplateSelectionExpression="\\$default",
    )
    api.response(
        integration,
        "/2\\d\\d/",
        TemplateSelectionExpression="${integration.response.statuscode}",
        ResponseTemplates={"201": "{\"created\": $input.json('$.echo')}"},
    )
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        reply = json.loads(ask(ws, {"data": [1, {"a": "b"}], "say": 'He said "hi"'}))
        sent = json.loads(reply["created"])
        assert sent["data"] == [1, {"a": "b"}] and sent["stage"] == "dev"
        assert sent["say"] == 'He said "hi"' and len(sent["who"]) == 16
        method, path, _ = _Backend.received[-1]
        assert (method, path) == ("PUT", "/echo")
    finally:
        ws.close()


def test_http_error_status_and_missing_mapping(aws: Any, backend: str) -> None:
    """A 404 from the backend selects ``/4\\d\\d/``; a status no key matches, without a
    ``$default`` response, is an ``Internal server error`` frame."""
    api = Api(aws)
    missing = api.integration(
        IntegrationType="HTTP", IntegrationUri=f"{backend}/missing", IntegrationMethod="POST"
    )
    api.response(missing, "/4\\d\\d/", ResponseTemplates={"$default": "backend said 404"})
    unmapped = api.integration(
        IntegrationType="HTTP", IntegrationUri=f"{backend}/echo", IntegrationMethod="POST"
    )
    api.response(unmapped, "/5\\d\\d/")
    api.route("missing", missing)
    api.route("$default", unmapped)
    ws = connect(api.deploy())
    try:
        assert ask(ws, {"action": "missing"}) == "backend said 404"
        answer = ask(ws, {"action": "unmapped"})
        connection_id = json.loads(answer)["connectionId"]
        assert error_frame_pattern("Internal server error", connection_id).fullmatch(answer)
    finally:
        ws.close()


def test_http_proxy_passes_the_body_both_ways(aws: Any, backend: str) -> None:
    """HTTP_PROXY: the message body as sent; the response body back as it came (status
    and integration responses play no part)."""
    _Backend.received.clear()
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP_PROXY", IntegrationUri=f"{backend}/echo", IntegrationMethod="POST"
    )
    missing = api.integration(
        IntegrationType="HTTP_PROXY", IntegrationUri=f"{backend}/missing", IntegrationMethod="POST"
    )
    api.route("$default", integration)
    api.route("missing", missing)
    ws = connect(api.deploy())
    try:
        assert json.loads(ask(ws, "plain text")) == {"echo": "plain text"}
        assert json.loads(ask(ws, {"action": "missing"})) == {"error": "no such thing"}
        assert _Backend.received[0][2] == b"plain text"
    finally:
        ws.close()


def test_convert_to_binary_sends_a_binary_frame(aws: Any, backend: str) -> None:
    """``CONVERT_TO_BINARY`` on the integration response turns base64 text into a binary
    frame; ``CONVERT_TO_TEXT`` turns the backend's bytes into base64 text."""
    api = Api(aws)
    as_binary = mock_integration(api, "aGVsbG8=")
    api.apigw.update_integration_response(
        ApiId=api.api_id,
        IntegrationId=as_binary,
        IntegrationResponseId=api.apigw.get_integration_responses(
            ApiId=api.api_id, IntegrationId=as_binary
        )["Items"][0]["IntegrationResponseId"],
        ContentHandlingStrategy="CONVERT_TO_BINARY",
    )
    as_text = api.integration(
        IntegrationType="HTTP", IntegrationUri=f"{backend}/binary", IntegrationMethod="POST"
    )
    api.response(as_text, "$default", ContentHandlingStrategy="CONVERT_TO_TEXT")
    api.route("binary", as_binary)
    api.route("$default", as_text)
    ws = connect(api.deploy())
    try:
        ws.send(json.dumps({"action": "binary"}))
        opcode, data = ws.recv_data()
        assert (opcode, data) == (ABNF.OPCODE_BINARY, b"hello")
        assert ask(ws, "text please") == "AJ+Slg=="
    finally:
        ws.close()


def test_aws_lambda_non_proxy(aws: Any, non_proxy_function: str) -> None:
    """AWS (Lambda, non-proxy): the function's event is the template's output; its result
    goes through the integration response; an error's message selects ``/.*bad input.*/``."""
    api = Api(aws)
    region = aws("apigatewayv2").meta.region_name
    integration = api.integration(
        IntegrationType="AWS",
        IntegrationUri=integration_uri(region, non_proxy_function),
        IntegrationMethod="POST",
        RequestTemplates={
            "$default": '{"text": "$input.path(\'$.text\')", "fail": $input.json(\'$.fail\'),'
            ' "route": "$context.routeKey", "env": "$stageVariables.env"}'
        },
        TemplateSelectionExpression="\\$default",
    )
    api.response(
        integration,
        "/.*bad input.*/",
        ResponseTemplates={"$default": "refused: $input.path('$.errorMessage')"},
    )
    api.response(integration, "$default", ResponseTemplates={"$default": "$input.json('$.got')"})
    api.route("$default", integration)
    allow_api_gateway(aws("lambda"), non_proxy_function, api.api_id)
    api.apigw.create_stage(ApiId=api.api_id, StageName="dev", StageVariables={"env": "test"})
    api.apigw.create_deployment(ApiId=api.api_id, StageName="dev")
    ws = connect(f"{api.endpoint}/dev")
    try:
        got = json.loads(ask(ws, {"text": "hi"}))
        assert got == {"text": "hi", "fail": None, "route": "$default", "env": "test"}
        assert ask(ws, {"text": "x", "fail": "nope"}) == "refused: bad input: nope"
    finally:
        ws.close()


def service_api(
    aws: Any, uri: str, role: str, template: str, *responses: str, reply: str = ""
) -> str:
    """An API whose ``$default`` route calls an AWS service action as ``role``; its URL."""
    api = Api(aws)
    integration = api.integration(
        IntegrationType="AWS",
        IntegrationUri=uri,
        IntegrationMethod="POST",
        CredentialsArn=role,
        RequestTemplates={"$default": template},
        TemplateSelectionExpression="\\$default",
    )
    for key in responses:
        api.response(integration, key, ResponseTemplates={"$default": f"{key} answered{reply}"})
    api.route("$default", integration)
    return api.deploy()


PUT_ITEM = (
    '{"TableName": "%s", "Item": {"id": {"S": "$context.connectionId"},'
    ' "text": {"S": "$util.escapeJavaScript($input.path(\'$.text\'))"}}}'
)


@pytest.fixture(scope="module")
def items_table(aws: Any) -> str:
    table = f"integration-items-{new_tag()}"
    aws("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table


def test_dynamodb_put_item_as_the_credentials_role(aws: Any, items_table: str) -> None:
    """AWS service integration: DynamoDB ``PutItem`` with the template's output, signed as
    the ``CredentialsArn`` role; the item is in the table and ``/2\\d\\d/`` answers."""
    table = items_table
    region = aws("dynamodb").meta.region_name
    role = create_role(aws("iam"), f"apigw-put-{new_tag()}", allow("dynamodb:PutItem", "*"))
    url = service_api(
        aws,
        f"arn:aws:apigateway:{region}:dynamodb:action/PutItem",
        role,
        PUT_ITEM % table,
        "/2\\d\\d/",
    )
    ws = connect(url)
    try:
        assert ask(ws, {"text": 'say "hi"'}) == "/2\\d\\d/ answered"
    finally:
        ws.close()
    items = aws("dynamodb").scan(TableName=table)["Items"]
    assert [item["text"] for item in items] == [{"S": 'say "hi"'}]
    assert len(items[0]["id"]["S"]) == 16


def test_a_role_without_the_action_is_refused_by_iam(aws: Any, items_table: str) -> None:
    """The role may not ``PutItem``: DynamoDB answers 400 (AccessDeniedException), which
    selects ``/4\\d\\d/``, as on AWS."""
    region = aws("dynamodb").meta.region_name
    role = create_role(aws("iam"), f"apigw-none-{new_tag()}", allow("dynamodb:GetItem", "*"))
    url = service_api(
        aws,
        f"arn:aws:apigateway:{region}:dynamodb:action/PutItem",
        role,
        PUT_ITEM % items_table,
        "/2\\d\\d/",
        "/4\\d\\d/",
        reply=": $input.path('$.__type')",
    )
    ws = connect(url)
    try:
        assert ask(ws, {"text": "denied"}).endswith(
            "/4\\d\\d/ answered: com.amazonaws.dynamodb.v20120810#AccessDeniedException"
        )
    finally:
        ws.close()
    texts = [item["text"]["S"] for item in aws("dynamodb").scan(TableName=items_table)["Items"]]
    assert "denied" not in texts


def test_sqs_send_message_in_the_query_protocol(aws: Any) -> None:
    """SQS ``SendMessage``: the template writes the query parameters, the URI the action."""
    sqs = aws("sqs")
    queue_url = sqs.create_queue(QueueName=f"integration-{new_tag()}")["QueueUrl"]
    role = create_role(aws("iam"), f"apigw-sqs-{new_tag()}", allow("sqs:SendMessage", "*"))
    template = f"QueueUrl=$util.urlEncode('{queue_url}')&MessageBody=$util.urlEncode($input.body)"
    url = service_api(
        aws,
        f"arn:aws:apigateway:{sqs.meta.region_name}:sqs:action/SendMessage",
        role,
        template,
        "$default",
    )
    ws = connect(url)
    try:
        assert ask(ws, "queued & sent") == "$default answered"
    finally:
        ws.close()
    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert message["Body"] == "queued & sent"


def test_sns_publish_reaches_a_subscribed_queue(aws: Any) -> None:
    """SNS ``Publish`` from the template's parameters; a queue subscribed to the topic has it."""
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name=f"integration-{new_tag()}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"integration-sns-{new_tag()}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    role = create_role(aws("iam"), f"apigw-sns-{new_tag()}", allow("sns:Publish", "*"))
    template = f"TopicArn=$util.urlEncode('{topic}')&Message=$util.urlEncode($input.body)"
    url = service_api(
        aws,
        f"arn:aws:apigateway:{sns.meta.region_name}:sns:action/Publish",
        role,
        template,
        "/2\\d\\d/",
    )
    ws = connect(url)
    try:
        assert ask(ws, "news for all") == "/2\\d\\d/ answered"
    finally:
        ws.close()
    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(message["Body"])["Message"] == "news for all"


@pytest.mark.parametrize(
    ("uri", "role"),
    [
        (
            "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord",
            "arn:aws:iam::123456789012:role/r",
        ),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", None),
    ],
)
def test_service_integrations_it_cannot_make(aws: Any, uri: str, role: str | None) -> None:
    """A service the local stack does not call, or no ``CredentialsArn``: an internal error."""
    api = Api(aws)
    settings = {"CredentialsArn": role} if role else {}
    integration = api.integration(
        IntegrationType="AWS", IntegrationUri=uri, IntegrationMethod="POST", **settings
    )
    api.response(integration, "$default")
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        assert json.loads(ask(ws, "x"))["message"] == "Internal server error"
    finally:
        ws.close()


def test_http_timeout_is_endpoint_request_timed_out(aws: Any, backend: str) -> None:
    """A URL that does not answer within ``TimeoutInMillis``: the timeout error frame."""
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP",
        IntegrationUri=f"{backend}/slow",
        IntegrationMethod="POST",
        TimeoutInMillis=50,
    )
    api.response(integration, "$default")
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        answer = ask(ws, "x")
        connection_id = json.loads(answer)["connectionId"]
        assert error_frame_pattern("Endpoint request timed out", connection_id).fullmatch(answer)
    finally:
        _Backend.release.set()
        ws.close()


def test_request_conversion_and_stage_variables_in_the_url(aws: Any, backend: str) -> None:
    """``CONVERT_TO_BINARY`` on the integration sends base64 text to the URL as bytes; the
    URL may name a stage variable."""
    _Backend.received.clear()
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP_PROXY",
        IntegrationUri=backend + "/${stageVariables.target}",
        IntegrationMethod="POST",
        ContentHandlingStrategy="CONVERT_TO_BINARY",
    )
    api.route("$default", integration, two_way=False, route_response=False)
    loud = mock_integration(api, "done")
    api.route("done", loud)
    api.apigw.create_stage(ApiId=api.api_id, StageName="dev", StageVariables={"target": "raw"})
    api.apigw.create_deployment(ApiId=api.api_id, StageName="dev")
    ws = connect(f"{api.endpoint}/dev")
    try:
        ws.send("AJ+Slg==")
        assert ask(ws, {"action": "done"}) == "done"
    finally:
        ws.close()
    received = poll(lambda: _Backend.received, what="the backend's request")
    assert received[0][1:] == ("/raw", bytes([0, 159, 146, 150]))


@pytest.mark.parametrize("status", [401, 200])
def test_mock_connect_decides_the_upgrade(aws: Any, status: int) -> None:
    """A MOCK ``$connect``: the status its request template writes is the upgrade's answer
    (2xx connects)."""
    api = Api(aws)
    connect_integration = api.integration(
        IntegrationType="MOCK",
        RequestTemplates={"$default": f'{{"statusCode": {status}}}'},
        TemplateSelectionExpression="\\$default",
    )
    api.response(connect_integration, "$default")
    api.route("$connect", connect_integration, two_way=False, route_response=False)
    api.route("$default", mock_integration(api, "in"))
    url = api.deploy()
    if status == 401:
        assert refused_status(url) == 401
    else:
        ws = connect(url)
        try:
            assert ask(ws, "x") == "in"
        finally:
            ws.close()


def test_disconnect_calls_a_non_proxy_integration(aws: Any, backend: str) -> None:
    """``$disconnect`` runs its HTTP integration once the client has gone, its request
    template filled from the DISCONNECT context."""
    _Backend.received.clear()
    api = Api(aws)
    gone = api.integration(
        IntegrationType="HTTP",
        IntegrationUri=f"{backend}/gone",
        IntegrationMethod="POST",
        RequestTemplates={
            "$default": '{"type": "$context.eventType", "id": "$context.connectionId"}'
        },
        TemplateSelectionExpression="\\$default",
    )
    api.route("$disconnect", gone, two_way=False, route_response=False)
    api.route("$default", mock_integration(api, "$context.connectionId"))
    ws = connect(api.deploy())
    connection_id = ask(ws, "who am I")
    ws.close()
    [(_, path, body)] = poll(lambda: list(_Backend.received), what="the $disconnect request")
    assert path == "/gone"
    assert json.loads(body) == {"type": "DISCONNECT", "id": connection_id}


def test_request_parameters_map_headers_and_query(aws: Any, backend: str) -> None:
    """``RequestParameters``: static values, context variables and body paths become the
    HTTP request's headers and query string parameters."""
    _Backend.received.clear()
    _Backend.headers_seen.clear()
    api = Api(aws)
    integration = api.integration(
        IntegrationType="HTTP_PROXY",
        IntegrationUri=f"{backend}/echo",
        IntegrationMethod="POST",
        RequestParameters={
            "integration.request.header.X-Static": "'fixed'",
            "integration.request.header.X-Connection": "context.connectionId",
            "integration.request.querystring.room": "route.request.body.room",
            "integration.request.querystring.absent": "route.request.body.nothing",
        },
    )
    api.route("$default", integration)
    ws = connect(api.deploy())
    try:
        ask(ws, {"room": "blue"})
    finally:
        ws.close()
    [(_, path, _)] = _Backend.received
    [headers] = _Backend.headers_seen
    assert path == "/echo?room=blue"
    assert headers["X-Static"] == "fixed" and len(headers["X-Connection"]) == 16


def test_connect_template_reads_the_query_string(aws: Any) -> None:
    """A MOCK ``$connect`` template deciding by ``$input.params('pass')``: the query string
    of the upgrade request reaches it."""
    api = Api(aws)
    gate = api.integration(
        IntegrationType="MOCK",
        RequestTemplates={
            "$default": "{\"statusCode\": #if($input.params('pass') == 'yes')200#{else}403#end}"
        },
        TemplateSelectionExpression="\\$default",
    )
    api.response(gate, "$default")
    api.route("$connect", gate, two_way=False, route_response=False)
    api.route("$default", mock_integration(api, "in"))
    url = api.deploy()
    assert refused_status(f"{url}?pass=no") == 403
    ws = connect(f"{url}?pass=yes")
    try:
        assert ask(ws, "x") == "in"
    finally:
        ws.close()
