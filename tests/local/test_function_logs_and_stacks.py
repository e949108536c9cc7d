"""A function's log lines, stored after the invocation, never outlive its stack's log group.

Log lines are stored in batches after each invocation; a stack deleted right after its
function ran used to delete the log group first and then see it made again by the lines
of that last invocation (a leftover the tutorial's cleanup then listed).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.local.lambda_helpers import role_arn
from tests.support import scaled


def test_a_deleted_stack_leaves_no_log_group_behind(aws: Any, unique: str) -> None:
    name = f"logs-{unique}"
    template = {
        "Resources": {
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": f"/aws/lambda/{name}"},
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": "Logs",
                "Properties": {
                    "FunctionName": name,
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role_arn(aws("iam"), "wslab-test-lambda"),
                    "Code": {"ZipFile": "def handler(e, c):\n    print('a line')\n"},
                },
            },
        }
    }
    cloudformation, logs = aws("cloudformation"), aws("logs")
    stack_id = cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))[
        "StackId"
    ]
    cloudformation.get_waiter("stack_create_complete").wait(StackName=stack_id)
    aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    cloudformation.delete_stack(StackName=name)  # at once: the lines may not be stored yet
    deadline = time.monotonic() + scaled(30)
    while cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] != (
        "DELETE_COMPLETE"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(scaled(1.0))  # two of the log writer's periods: anything pending is stored
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    assert groups == []
