"""What an account holds, as names, to tell what an app's own delete command left behind."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Client = Callable[[str], Any]

# Stacks that a deploy tool keeps for every app of a region (SAM's artifact bucket, CDK's
# bootstrap): a user deletes the app, not them, so they and their resources are not leftovers.
TOOL_STACKS = ("aws-sam-cli-managed-default", "CDKToolkit")


def _names(pages: Iterable[dict[str, Any]], key: str, field: str) -> set[str]:
    return {item[field] for page in pages for item in page.get(key, [])}


def _paged(client: Any, operation: str, **arguments: Any) -> Iterable[dict[str, Any]]:
    return client.get_paginator(operation).paginate(**arguments)  # type: ignore[no-any-return]


def snapshot(client: Client) -> set[str]:
    """Every stack, function, table, API, role, policy, bucket, queue, topic and log group,
    as ``kind:name``; resources of the deploy tools' own stacks are left out."""
    cloudformation = client("cloudformation")
    live_stacks = {
        summary["StackName"]
        for page in _paged(cloudformation, "list_stacks")
        for summary in page["StackSummaries"]
        if summary["StackStatus"] != "DELETE_COMPLETE"
    }
    found = {f"stack:{name}" for name in live_stacks if name not in TOOL_STACKS}
    found |= {
        f"function:{n}"
        for n in _names(_paged(client("lambda"), "list_functions"), "Functions", "FunctionName")
    }
    found |= {
        f"table:{n}"
        for page in _paged(client("dynamodb"), "list_tables")
        for n in page["TableNames"]
    }
    found |= {f"api:{api['ApiId']}" for api in client("apigatewayv2").get_apis()["Items"]}
    found |= {f"role:{n}" for n in _names(_paged(client("iam"), "list_roles"), "Roles", "RoleName")}
    found |= {
        f"policy:{n}"
        for n in _names(
            _paged(client("iam"), "list_policies", Scope="Local"), "Policies", "PolicyName"
        )
    }
    found |= {f"bucket:{bucket['Name']}" for bucket in client("s3").list_buckets()["Buckets"]}
    found |= {f"queue:{url}" for url in client("sqs").list_queues().get("QueueUrls", [])}
    found |= {
        f"topic:{n}" for n in _names(_paged(client("sns"), "list_topics"), "Topics", "TopicArn")
    }
    # The log group Lambda makes at a function's first run outlives the function on AWS
    # (a stack's delete does not remove it: https://github.com/aws/aws-cdk/pull/21820,
    # "No more orphaned log groups"), so it is no leftover of the app's delete.
    found |= {
        f"log-group:{n}"
        for n in _names(_paged(client("logs"), "describe_log_groups"), "logGroups", "logGroupName")
        if not n.startswith("/aws/lambda/")
    }
    return found - _tool_resources(cloudformation, live_stacks & set(TOOL_STACKS))


def _tool_resources(cloudformation: Any, stacks: Iterable[str]) -> set[str]:
    kinds = {
        "AWS::S3::Bucket": "bucket",
        "AWS::IAM::Role": "role",
        "AWS::IAM::ManagedPolicy": "policy",
    }
    owned: set[str] = set()
    for stack in stacks:
        for page in _paged(cloudformation, "list_stack_resources", StackName=stack):
            for resource in page["StackResourceSummaries"]:
                kind = kinds.get(resource["ResourceType"])
                if kind:
                    owned.add(f"{kind}:{resource.get('PhysicalResourceId', '')}")
    return owned


def first_stack_failure(client: Client, before: set[str]) -> str:
    """The first failed resource of the stacks made since ``before``, with CloudFormation's
    reason (as the console shows it), or ""."""
    cloudformation = client("cloudformation")
    for page in _paged(cloudformation, "list_stacks"):
        for summary in page["StackSummaries"]:
            name = summary["StackName"]
            if f"stack:{name}" in before or name in TOOL_STACKS:
                continue
            events = [
                event
                for events_page in _paged(
                    cloudformation, "describe_stack_events", StackName=summary["StackId"]
                )
                for event in events_page["StackEvents"]
            ]
            failed = [
                event
                for event in reversed(events)  # newest first on the wire
                if event["ResourceStatus"].endswith("_FAILED")
                and event.get("ResourceType") != "AWS::CloudFormation::Stack"
            ]
            if failed:
                first = failed[0]
                reason = first.get("ResourceStatusReason", "")
                return f"{first['LogicalResourceId']} ({first['ResourceType']}): {reason}"
    return ""
