"""``wslab deploy``: package lambda_src/, upload it, create or update the CloudFormation stack.

The same steps for the local stack and for an AWS account: only the clients' endpoint
differs. On AWS, credentials and region come from the usual AWS configuration.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from wslab.aws import Target
from wslab.deploy import project
from wslab.deploy.packaging import zip_directory

__all__ = [
    "DEFAULT_STACK_NAME",
    "HOT_RELOAD_BUCKET",
    "ChatStack",
    "DeployError",
    "delete",
    "delete_bucket",
    "deploy",
    "hot_reload_code",
]

DEFAULT_STACK_NAME = "wslab-chat"
HOT_RELOAD_BUCKET = "hot-reload"
"""LocalStack's name for "the code is the folder named by the key" (wslab local's too)."""
_DONE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "DELETE_COMPLETE",
}
_FAILED = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "DELETE_FAILED",
}


class DeployError(RuntimeError):
    """The stack did not reach the state asked for; the message says why."""


@dataclass
class ChatStack:
    """The chat deployed as the CloudFormation stack ``stack_name`` on ``target``."""

    target: Target
    stack_name: str = DEFAULT_STACK_NAME
    say: Callable[[str], None] = print

    def client(self, service: str) -> Any:
        return self.target.client(service)

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def is_local(self) -> bool:
        return self.target.is_local

    @property
    def artifact_bucket(self) -> str:
        account = self.client("sts").get_caller_identity()["Account"]
        return f"{self.stack_name}-artifacts-{account}-{self.region}"[:63].lower()

    @property
    def secret_name(self) -> str:
        return f"{self.stack_name}/token-secret"


def _ensure_bucket(stack: ChatStack) -> str:
    s3, bucket = stack.client("s3"), stack.artifact_bucket
    try:
        s3.head_bucket(Bucket=bucket)
        return bucket
    except ClientError:
        pass
    options: dict[str, Any] = {"Bucket": bucket}
    if stack.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": stack.region}
    s3.create_bucket(**options)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    stack.say(f"created artifact bucket s3://{bucket}")
    return bucket


def upload_code(
    stack: ChatStack, code_dir: Path, skip: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """Zip ``code_dir`` (without its top-level folders in ``skip``) and upload it under a
    key named by its hash: (bucket, key)."""
    package = zip_directory(code_dir, skip)
    key = f"lambda_src/{hashlib.sha256(package).hexdigest()[:16]}.zip"
    bucket = _ensure_bucket(stack)
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=package)
    stack.say(f"uploaded {code_dir.name}/ ({len(package):,} bytes) to s3://{bucket}/{key}")
    return bucket, key


def hot_reload_code(stack: ChatStack, code_dir: Path) -> tuple[str, str]:
    """LocalStack's hot-reload convention, which wslab local follows: the bucket
    ``hot-reload`` and the folder's absolute path as the key make the folder the code."""
    if not stack.is_local:
        raise DeployError("hot reload runs the code of a folder on this machine: local AWS only")
    folder = code_dir.resolve()
    stack.say(f"functions run {folder}{os.sep} as it is (hot reload)")
    return HOT_RELOAD_BUCKET, str(folder)


def ensure_token_secret(stack: ChatStack) -> str:
    """The ARN of the stack's token signing key in Secrets Manager, created if absent."""
    manager = stack.client("secretsmanager")
    try:
        return str(manager.describe_secret(SecretId=stack.secret_name)["ARN"])
    except manager.exceptions.ResourceNotFoundException:
        created = manager.create_secret(
            Name=stack.secret_name,
            Description="wslab chat: key that signs the authorizer's tokens",
            SecretString=secrets.token_urlsafe(48),
        )
        stack.say(f"created secret {stack.secret_name}")
        return str(created["ARN"])


def _described(stack: ChatStack) -> dict[str, Any] | None:
    cloudformation = stack.client("cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack.stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _events(stack: ChatStack, stack_id: str) -> list[dict[str, Any]]:
    try:
        events: list[dict[str, Any]] = stack.client("cloudformation").describe_stack_events(
            StackName=stack_id
        )["StackEvents"]
    except ClientError as error:
        if "does not exist" in str(error):
            return []  # a deleted stack (the local stack forgets its events)
        raise
    return events


def _wait(stack: ChatStack, stack_id: str, since: float, timeout_s: float = 1800) -> dict[str, Any]:
    """Print the stack's events until it settles; the stack, or DeployError."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        events = _events(stack, stack_id)
        for event in reversed(events):
            if event["EventId"] in seen or event["Timestamp"].timestamp() < since - 1:
                continue
            seen.add(event["EventId"])
            reason = event.get("ResourceStatusReason") or ""
            stack.say(f"  {event['ResourceStatus']:<22} {event['LogicalResourceId']:<24} {reason}")
        described = _described(stack)
        status = described["StackStatus"] if described else "DELETE_COMPLETE"
        if status in _FAILED:
            reasons = [
                e["ResourceStatusReason"]
                for e in events
                if e.get("ResourceStatusReason") and "FAILED" in e["ResourceStatus"]
            ]
            raise DeployError(
                f"stack {stack.stack_name} is {status}: " + ("; ".join(reasons) or "no reason")
            )
        if status in _DONE:
            return described or {}
        if time.monotonic() > deadline:
            raise DeployError(f"stack {stack.stack_name} still {status} after {timeout_s:.0f} s")
        time.sleep(0.2 if stack.is_local else 2)


def _nothing_to_update(error: ClientError) -> bool:
    """CloudFormation's answer to an UpdateStack that changes nothing: ``ValidationError``,
    "No updates are to be performed." (as reported in boto/boto3#1609)."""
    answer = error.response.get("Error", {})
    return bool(
        answer.get("Code") == "ValidationError"
        and "No updates are to be performed" in str(answer.get("Message", ""))
    )


def deploy(
    stack: ChatStack,
    *,
    template: Path | None = None,
    code_dir: Path | None = None,
    stage: str = "prod",
    with_authorizer: bool = False,
    allowed_origins: str = "",
    access_logging: bool = False,
    hot_reload: bool = False,
    runtime: str = project.PYTHON_RUNTIME,
    permissions_boundary: str = "",
) -> dict[str, str]:
    """Create or update the stack; returns its outputs. ``runtime`` chooses the reference
    handlers (``project.HANDLER_RUNTIMES``). ``access_logging`` needs the account's API
    Gateway CloudWatch Logs role (``cloudformation/apigateway-account.yaml``);
    ``hot_reload``: the functions' code is the folder itself, not a package (local only);
    ``permissions_boundary`` (a policy ARN) is set on each of the stack's roles."""
    template_body = (template or project.template()).read_text()
    try:
        folder, skip = project.handler_package(runtime)
    except ValueError as error:
        raise DeployError(str(error)) from None
    if hot_reload:
        bucket, key = hot_reload_code(stack, code_dir or folder)
    else:
        bucket, key = upload_code(stack, code_dir or folder, skip)
    parameters = {
        "CodeBucket": bucket,
        "CodeKey": key,
        "HandlerRuntime": runtime,
        "StageName": stage,
        "TokenSecretArn": ensure_token_secret(stack) if with_authorizer else "",
        "AllowedOrigins": allowed_origins,
        "AccessLogging": "true" if access_logging else "false",
        "PermissionsBoundaryArn": permissions_boundary,
    }
    request = {
        "StackName": stack.stack_name,
        "TemplateBody": template_body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        "Capabilities": ["CAPABILITY_IAM"],
    }
    cloudformation = stack.client("cloudformation")
    started = time.time()
    existing = _described(stack)
    if existing is None:
        stack.say(f"creating stack {stack.stack_name}")
        described = _wait(stack, cloudformation.create_stack(**request)["StackId"], started)
    else:
        stack.say(f"updating stack {stack.stack_name}")
        try:
            cloudformation.update_stack(**request)
            described = _wait(stack, existing["StackId"], started)
        except ClientError as error:
            if not _nothing_to_update(error):
                raise
            # The stack already runs this template and these parameters: a success, as
            # ``aws cloudformation deploy --no-fail-on-empty-changeset`` has it, whatever
            # its status (UPDATE_ROLLBACK_COMPLETE after a failed update of other code).
            stack.say("  no changes")
            described = existing
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    for name, value in sorted(outputs.items()):
        stack.say(f"{name}={value}")
    return outputs


def delete_bucket(s3: Any, bucket: str) -> None:
    """Empty a bucket, every version of every object, then delete it."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})
    s3.delete_bucket(Bucket=bucket)


def delete(stack: ChatStack, *, keep_artifacts: bool = False) -> None:
    """Delete the stack, then (unless kept) the artifact bucket and the token secret."""
    existing = _described(stack)
    if existing is not None:
        stack.say(f"deleting stack {stack.stack_name}")
        started = time.time()
        stack.client("cloudformation").delete_stack(StackName=stack.stack_name)
        _wait(stack, existing["StackId"], started)
    if keep_artifacts:
        return
    s3, bucket = stack.client("s3"), stack.artifact_bucket
    try:
        delete_bucket(s3, bucket)
        stack.say(f"deleted artifact bucket s3://{bucket}")
    except ClientError as error:
        if "NoSuchBucket" not in str(error):
            raise
    manager = stack.client("secretsmanager")
    try:
        manager.delete_secret(SecretId=stack.secret_name, ForceDeleteWithoutRecovery=True)
        stack.say(f"deleted secret {stack.secret_name}")
    except manager.exceptions.ResourceNotFoundException:
        pass
