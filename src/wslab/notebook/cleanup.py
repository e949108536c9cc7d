"""What the tutorial left: everything named with the prefix, in every service it uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wslab.aws import Target
from wslab.notebook.names import names
from wslab.notebook.steps import all_apis

__all__ = ["leftovers", "owns"]


def _names(pages: Iterable[Mapping[str, Any]], key: str, name: str) -> list[str]:
    return sorted(item[name] for page in pages for item in page[key])


def owns(name: str, prefix: str | None = None) -> bool:
    """Whether ``name`` is one the tutorial makes with ``prefix``: ``<prefix>-...``, or the
    log group of such a function or API. The prefix is the tutorial's by default."""
    mine = names().prefix if prefix is None else prefix
    return any(
        name.startswith(f"{start}{mine}-") for start in ("", "/aws/lambda/", "/aws/apigateway/")
    )


def leftovers(target: Target, prefix: str | None = None) -> dict[str, list[str]]:
    """Everything named with ``prefix`` (see ``owns``), by kind; empty kinds left out."""
    mine = names().prefix if prefix is None else prefix
    cloudformation = target.client("cloudformation")
    dynamodb = target.client("dynamodb")
    iam = target.client("iam")
    lambda_ = target.client("lambda")
    logs = target.client("logs")
    s3 = target.client("s3")
    secrets = target.client("secretsmanager")

    def pages(service: Any, operation: str, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        return list(service.get_paginator(operation).paginate(**kwargs))

    stacks = [
        stack["StackName"]
        for page in pages(cloudformation, "list_stacks")
        for stack in page["StackSummaries"]
        if stack["StackStatus"] != "DELETE_COMPLETE"
    ]
    found = {
        "cloudformation stacks": stacks,
        "apigatewayv2 apis": sorted(api["Name"] for api in all_apis(target)),
        "lambda functions": _names(pages(lambda_, "list_functions"), "Functions", "FunctionName"),
        "iam roles": _names(pages(iam, "list_roles"), "Roles", "RoleName"),
        "dynamodb tables": sorted(
            name for page in pages(dynamodb, "list_tables") for name in page["TableNames"]
        ),
        "s3 buckets": sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]),
        "secretsmanager secrets": _names(pages(secrets, "list_secrets"), "SecretList", "Name"),
        "logs log groups": _names(pages(logs, "describe_log_groups"), "logGroups", "logGroupName"),
    }
    result: dict[str, list[str]] = {}
    for kind, named in found.items():
        ours = [name for name in named if owns(name, mine)]
        if ours:
            result[kind] = ours
    return result
