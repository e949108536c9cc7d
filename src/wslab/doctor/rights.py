"""The IAM actions the tutorial calls on AWS, each with a resource like the ones it names.

Checked with IAM's policy simulator against representative ARNs built from the prefix,
not "*": a class account often grants rights on ``wslab-<name>-*`` resources only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["RIGHTS", "boundary_context", "resources", "simulation_context"]

RIGHTS: Mapping[str, tuple[str, ...]] = {
    # resource (a template, see `resources`) -> actions on it
    "table": (
        "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
        "dynamodb:DeleteTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
        "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource", "dynamodb:PutItem",
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
        "dynamodb:Scan",
    ),
    "role": (
        "iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:PutRolePolicy",
        "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:DeleteRolePolicy",
        "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:DeleteRole",
        "iam:PassRole",
    ),
    "function": (
        "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
        "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        "lambda:InvokeFunction", "lambda:AddPermission", "lambda:RemovePermission",
        "lambda:GetPolicy", "lambda:ListTags", "lambda:TagResource", "lambda:DeleteFunction",
    ),
    "log group": (
        "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:FilterLogEvents",
        "logs:DeleteLogGroup",
    ),
    "apis": ("apigateway:GET", "apigateway:POST"),
    "api": ("apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"),
    # Notebook 08 reads the account's CloudWatch Logs role (and sets it only locally).
    "account": ("apigateway:GET",),
    "connections": ("execute-api:ManageConnections",),
    "stack": (
        "cloudformation:CreateStack", "cloudformation:UpdateStack",
        "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStackResource", "cloudformation:DescribeStackResources",
        "cloudformation:DeleteStack",
    ),
    "bucket": (
        "s3:CreateBucket", "s3:PutBucketPublicAccessBlock", "s3:ListBucket",
        "s3:ListBucketVersions", "s3:DeleteBucket",
    ),
    "object": ("s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"),
    "secret": (
        "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret",
    ),
    # Listing, to find what is left (tutorial.leftovers): these take no resource.
    "*": (
        "cloudformation:ListStacks", "cloudformation:ValidateTemplate", "dynamodb:ListTables",
        "iam:ListRoles", "lambda:ListFunctions", "logs:DescribeLogGroups",
        "s3:ListAllMyBuckets", "secretsmanager:ListSecrets",
    ),
}  # fmt: skip


def resources(region: str, account: str, prefix: str) -> Mapping[str, str]:
    """The ARN each resource kind of ``RIGHTS`` is simulated on."""
    stack = f"{prefix}-stack"
    bucket = f"{stack}-artifacts-{account}-{region}"[:63]
    return {
        "table": f"arn:aws:dynamodb:{region}:{account}:table/{prefix}-connections",
        "role": f"arn:aws:iam::{account}:role/{prefix}-connect-role",
        "function": f"arn:aws:lambda:{region}:{account}:function:{prefix}-connect",
        "log group": f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{prefix}-connect:*",
        "apis": f"arn:aws:apigateway:{region}::/apis",
        "api": f"arn:aws:apigateway:{region}::/apis/*",
        "account": f"arn:aws:apigateway:{region}::/account",
        "connections": f"arn:aws:execute-api:{region}:{account}:*/*/POST/@connections/*",
        "stack": f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/*",
        "bucket": f"arn:aws:s3:::{bucket}",
        "object": f"arn:aws:s3:::{bucket}/*",
        "secret": f"arn:aws:secretsmanager:{region}:{account}:secret:{stack}/token-secret-AbCdEf",
        "*": "*",
    }


def _entry(key: str, value: str) -> dict[str, Any]:
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}


def boundary_context(boundary: str) -> dict[str, list[dict[str, Any]]]:
    """``SimulatePrincipalPolicy``'s arguments for a call giving (or a role having) the
    permissions boundary ``boundary``: the ``iam:PermissionsBoundary`` condition key."""
    return {"ContextEntries": [_entry("iam:PermissionsBoundary", boundary)]}


def simulation_context(boundary: str | None) -> dict[str, list[dict[str, Any]]]:
    """The condition keys of the tutorial's calls, for ``SimulatePrincipalPolicy``: the
    notebooks pass roles to Lambda (``iam:PassedToService``, which a policy may require, as
    cloudformation/attendees.yaml does) and, with a boundary, create roles with it. A key no
    policy tests changes nothing."""
    entries = [_entry("iam:PassedToService", "lambda.amazonaws.com")]
    if boundary:
        entries.append(_entry("iam:PermissionsBoundary", boundary))
    return {"ContextEntries": entries}
