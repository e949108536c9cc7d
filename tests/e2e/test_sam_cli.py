"""The SAM CLI as a user runs it, against a ``wslab local`` process.

``sam build`` (no container), ``sam deploy --resolve-s3`` (which makes the
``aws-sam-cli-managed-default`` stack and its bucket), both again with new code (an
update), and ``sam delete --no-prompts``, with only ``AWS_ENDPOINT_URL`` and dummy
credentials set; between them a WebSocket client gets its answer, then the new one. The
app has a ``Globals`` section and its code in a local folder, as ``sam init`` writes them.
The SAM CLI lives in a venv of its own (``make sam``: it pins libraries the project's own
venv pins otherwise); without it the test skips and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import websocket

from tests.support import clients_on, scaled

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"  # what sam build finds

APP = """
import json, os

def handler(event, context):
    answer = {"said": json.loads(event["body"])["data"], "greeting": os.environ["GREETING"]}
    return {"statusCode": 200, "body": json.dumps(answer)}
"""

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: A WebSocket echo, built and deployed by the SAM CLI.

Globals:
  Function:
    Runtime: {runtime}
    Timeout: 10
    MemorySize: 128
    Environment:
      Variables:
        GREETING: hello

Resources:
  EchoApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: !Sub '${{AWS::StackName}}-echo'
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.action"
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
  EchoPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      FunctionName: !Ref EchoFunction
      SourceArn: !Sub 'arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{EchoApi}}/*'
  EchoIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref EchoApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Join
        - ''
        - - !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/'
          - !GetAtt EchoFunction.Arn
          - /invocations
  EchoRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref EchoApi
      RouteKey: $default
      RouteResponseSelectionExpression: $default
      Target: !Join ['/', ['integrations', !Ref EchoIntegration]]
  EchoRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref EchoApi
      RouteId: !Ref EchoRoute
      RouteResponseKey: $default
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn: [EchoRoute]
    Properties:
      ApiId: !Ref EchoApi
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      StageName: prod
      DeploymentId: !Ref Deployment
      ApiId: !Ref EchoApi

Outputs:
  ClientURL:
    Value: !Sub '${{EchoApi.ApiEndpoint}}/${{Stage}}'
"""


def _sam() -> str:
    """``WSLAB_SAM``, else ``make sam``'s, else one on PATH; a skip saying how to get one."""
    for candidate in (os.environ.get("WSLAB_SAM"), str(ROOT / ".venv-sam" / "bin" / "sam")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("sam")
    if found is None:
        pytest.skip("no SAM CLI: make sam (installs aws-sam-cli in .venv-sam), or WSLAB_SAM")
    return found


def _run(sam: str, app: Path, endpoint_url: str, *arguments: str) -> float:
    """Run ``sam <arguments>`` in ``app`` as a user would; its duration in seconds."""
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
        # sam build looks for the runtime's interpreter on PATH: this one.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sam, *arguments],
        cwd=app,
        env=environment,
        capture_output=True,
        text=True,
        timeout=scaled(300),
        check=False,
    )
    assert done.returncode == 0, f"sam {arguments[0]}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return time.perf_counter() - started


def _answer(url: str) -> Any:
    """What the echo answers a client that says "hi"."""
    socket = websocket.create_connection(url, timeout=scaled(15))
    try:
        socket.send(json.dumps({"data": "hi"}))
        return json.loads(socket.recv())
    finally:
        socket.close()


def test_sam_build_deploy_and_delete(endpoint_url: str, unique: str, tmp_path: Path) -> None:
    sam = _sam()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(runtime=RUNTIME))
    stack = f"sam-cli-{unique}"
    aws: Any = clients_on(endpoint_url)
    cfn = aws("cloudformation")
    times = {"build": _run(sam, tmp_path, endpoint_url, "build")}
    deploy = ["deploy", "--stack-name", stack, "--no-confirm-changeset", "--resolve-s3"]
    deploy += ["--capabilities", "CAPABILITY_IAM", "--region", "us-east-1"]
    times["deploy"] = _run(sam, tmp_path, endpoint_url, *deploy)
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    managed = cfn.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"][0]
    assert managed["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    url = {item["OutputKey"]: item["OutputValue"] for item in described["Outputs"]}["ClientURL"]
    assert _answer(url) == {"said": "hi", "greeting": "hello"}
    # The code changed, built and deployed again: an update, and the new code answers.
    (tmp_path / "src" / "app.py").write_text(APP.replace('"said":', '"version": 2, "said":'))
    times["build again"] = _run(sam, tmp_path, endpoint_url, "build")
    times["deploy again"] = _run(sam, tmp_path, endpoint_url, *deploy)
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert _answer(url) == {"version": 2, "said": "hi", "greeting": "hello"}
    times["delete"] = _run(
        sam, tmp_path, endpoint_url, "delete", "--no-prompts", "--stack-name", stack
    )
    remaining = [item["StackName"] for item in cfn.describe_stacks()["Stacks"]]
    assert stack not in remaining
    print("sam times (s):", {step: round(seconds, 1) for step, seconds in times.items()})
