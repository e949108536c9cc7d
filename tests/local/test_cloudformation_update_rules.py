"""How an update treats each resource, on small templates: conditions, in place or
replacement per property, clean-up order, retention policies.

References: "Condition functions" (``Fn::If`` evaluates only the branch its condition
picks), "Update behaviors of stack resources" (No interruption / Replacement; a
replacement is created before the old resource is deleted, in the clean-up), and the
resource pages of each type for which property does what.
"""

from __future__ import annotations

import json
from typing import Any

from tests.local.cfn_helpers import create, listed, status

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _policy(resource: str) -> dict[str, Any]:
    return {
        "PolicyName": "read",
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:GetQueueUrl", "Resource": resource}],
        },
    }


def _role(resource: str, condition: str | None = None) -> dict[str, Any]:
    role: dict[str, Any] = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": TRUST, "Policies": [_policy(resource)]},
    }
    if condition:
        role["Condition"] = condition
    return role


def _update(cfn: Any, name: str, template: dict[str, Any], **parameters: str) -> str:
    cfn.update_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    return status(cfn, name)


def _physical(cfn: Any, name: str, logical_id: str) -> str:
    detail = cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)
    return str(detail["StackResourceDetail"]["PhysicalResourceId"])


def _role_policy(iam: Any, role: str) -> str:
    """The role's inline policy "read", as text (a role made by CloudFormation gets its
    document back from moto as Python's repr of it, not JSON)."""
    return str(iam.get_role_policy(RoleName=role, PolicyName="read")["PolicyDocument"])


def _events(cfn: Any, name: str) -> list[tuple[str, str]]:
    """(logical id, status) of every event, oldest first."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def _conditional() -> dict[str, Any]:
    """A role always; another only with Extra=yes, which the first names in its
    description only through ``Fn::If`` (a ``Fn::GetAtt`` in the branch not taken is never
    evaluated)."""
    extra_arn = {"Fn::If": ["WithExtra", {"Fn::GetAtt": ["ExtraRole", "Arn"]}, "none"]}
    return {
        "Parameters": {
            "Extra": {"Type": "String", "Default": "no"},
            "Version": {"Type": "String", "Default": "1"},
        },
        "Conditions": {"WithExtra": {"Fn::Equals": [{"Ref": "Extra"}, "yes"]}},
        "Resources": {
            "Main": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": TRUST,
                    "Description": {"Fn::Join": [" ", [{"Ref": "Version"}, extra_arn]]},
                },
            },
            "ExtraRole": _role("*", condition="WithExtra"),
        },
        "Outputs": {"Extra": {"Value": extra_arn}},
    }


def test_conditional_resources_follow_their_condition_through_updates(
    aws: Any, unique: str
) -> None:
    """A parameter-only update with the condition false evaluates no branch that names
    the absent role; the condition turned true adds it, turned false deletes it; the role
    that stays is changed in place each time."""
    cfn, iam = aws("cloudformation"), aws("iam")
    name = f"cond-{unique}"
    create(cfn, name, _conditional(), Capabilities=["CAPABILITY_IAM"])
    main = _physical(cfn, name, "Main")
    assert _update(cfn, name, _conditional(), Version="2") == "UPDATE_COMPLETE"
    assert set(listed(cfn, name)) == {"Main"}
    assert iam.get_role(RoleName=main)["Role"]["Description"] == "2 none"

    assert _update(cfn, name, _conditional(), Version="2", Extra="yes") == "UPDATE_COMPLETE"
    extra = _physical(cfn, name, "ExtraRole")
    extra_arn = iam.get_role(RoleName=extra)["Role"]["Arn"]
    assert iam.get_role(RoleName=main)["Role"]["Description"] == f"2 {extra_arn}"
    outputs = cfn.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    assert outputs == [{"OutputKey": "Extra", "OutputValue": extra_arn}]

    assert _update(cfn, name, _conditional(), Version="2", Extra="no") == "UPDATE_COMPLETE"
    assert set(listed(cfn, name)) == {"Main"}
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"] == extra]
    assert _physical(cfn, name, "Main") == main
    assert iam.get_role(RoleName=main)["Role"]["Description"] == "2 none"
    cfn.delete_stack(StackName=name)


def test_a_role_policy_changes_in_place(aws: Any, unique: str) -> None:
    """A role's inline policy: "No interruption": the same role, the new document."""
    cfn, iam = aws("cloudformation"), aws("iam")
    name = f"role-{unique}"
    template = {"Resources": {"Role": _role("arn:aws:sqs:us-east-1:123456789012:one")}}
    create(cfn, name, template, Capabilities=["CAPABILITY_IAM"])
    role = _physical(cfn, name, "Role")
    template["Resources"]["Role"] = _role("arn:aws:sqs:us-east-1:123456789012:two")
    assert _update(cfn, name, template) == "UPDATE_COMPLETE"
    assert _physical(cfn, name, "Role") == role
    document = _role_policy(iam, role)
    assert ":two" in document and ":one" not in document
    template["Resources"]["Role"]["Properties"]["Policies"] = []
    assert _update(cfn, name, template) == "UPDATE_COMPLETE"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    cfn.delete_stack(StackName=name)


def _log_group(name: str, days: int) -> dict[str, Any]:
    properties = {"LogGroupName": name, "RetentionInDays": days}
    return {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": properties}}}


def test_a_log_group_retention_changes_in_place(aws: Any, unique: str) -> None:
    """``RetentionInDays`` of a named group: "No interruption": the same group keeps its
    name and takes the new retention (no replacement, which the name would forbid)."""
    cfn, logs = aws("cloudformation"), aws("logs")
    name, group = f"logs-{unique}", f"/wslab/{unique}"
    create(cfn, name, _log_group(group, 30))
    assert _update(cfn, name, _log_group(group, 7)) == "UPDATE_COMPLETE"
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(group, 7)]
    cfn.delete_stack(StackName=name)


def _queue_and_role(queue_name: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue_name}},
            "Role": _role({"Fn::GetAtt": ["Queue", "Arn"]}),
        }
    }


def test_a_replacement_is_created_first_and_its_dependents_follow(aws: Any, unique: str) -> None:
    """A new ``QueueName`` replaces the queue: the new one is made, the role that names it
    is updated in place to the new ARN, and only then, in the clean-up, the old queue is
    deleted."""
    cfn, sqs, iam = aws("cloudformation"), aws("sqs"), aws("iam")
    name = f"repl-{unique}"
    create(cfn, name, _queue_and_role(f"old-{unique}"), Capabilities=["CAPABILITY_IAM"])
    role = _physical(cfn, name, "Role")
    assert _update(cfn, name, _queue_and_role(f"new-{unique}")) == "UPDATE_COMPLETE"
    assert _physical(cfn, name, "Role") == role
    new_url = _physical(cfn, name, "Queue")
    assert new_url.endswith(f"/new-{unique}")
    assert not sqs.list_queues(QueueNamePrefix=f"old-{unique}").get("QueueUrls")
    document = _role_policy(iam, role)
    assert f":new-{unique}" in document and f":old-{unique}" not in document
    update = _events(cfn, name)
    update = update[update.index((name, "UPDATE_IN_PROGRESS")) :]
    assert update == [
        (name, "UPDATE_IN_PROGRESS"),
        ("Queue", "UPDATE_IN_PROGRESS"),
        ("Queue", "UPDATE_COMPLETE"),
        ("Role", "UPDATE_IN_PROGRESS"),
        ("Role", "UPDATE_COMPLETE"),
        (name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("Queue", "DELETE_IN_PROGRESS"),
        ("Queue", "DELETE_COMPLETE"),
        (name, "UPDATE_COMPLETE"),
    ]
    cfn.delete_stack(StackName=name)


def test_retain_policies_keep_what_an_update_removes_or_replaces(aws: Any, unique: str) -> None:
    """``DeletionPolicy: Retain`` on a removed resource and ``UpdateReplacePolicy: Retain``
    on a replaced one: DELETE_SKIPPED, and both queues are still there."""
    cfn, sqs = aws("cloudformation"), aws("sqs")
    name = f"retain-{unique}"
    kept = {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"}
    kept["Properties"] = {"QueueName": f"removed-{unique}"}
    replaced = {"Type": "AWS::SQS::Queue", "UpdateReplacePolicy": "Retain"}
    replaced["Properties"] = {"QueueName": f"first-{unique}"}
    create(cfn, name, {"Resources": {"Kept": kept, "Replaced": replaced}})
    replaced["Properties"] = {"QueueName": f"second-{unique}"}
    assert _update(cfn, name, {"Resources": {"Replaced": replaced}}) == "UPDATE_COMPLETE"
    assert ("Kept", "DELETE_SKIPPED") in _events(cfn, name)
    assert ("Replaced", "DELETE_SKIPPED") in _events(cfn, name)
    for queue in (f"removed-{unique}", f"first-{unique}", f"second-{unique}"):
        assert sqs.list_queues(QueueNamePrefix=queue).get("QueueUrls"), queue
    cfn.delete_stack(StackName=name)


def test_a_failed_update_puts_back_what_it_replaced(aws: Any, unique: str) -> None:
    """The queue replaced and the role changed to name the new one, then a later resource
    fails: the old queue is the stack's again, the role names it again, the new queue is
    deleted; ``UPDATE_ROLLBACK_COMPLETE``."""
    cfn, sqs, iam = aws("cloudformation"), aws("sqs"), aws("iam")
    name = f"undo-{unique}"
    create(cfn, name, _queue_and_role(f"old-{unique}"), Capabilities=["CAPABILITY_IAM"])
    queue, role = _physical(cfn, name, "Queue"), _physical(cfn, name, "Role")
    broken = _queue_and_role(f"new-{unique}")
    broken["Resources"]["Pipe"] = {"Type": "AWS::Pipes::Pipe", "DependsOn": "Role"}
    assert _update(cfn, name, broken) == "UPDATE_ROLLBACK_COMPLETE"
    assert _physical(cfn, name, "Queue") == queue
    assert set(listed(cfn, name)) == {"Queue", "Role"}
    assert queue.endswith(f"/old-{unique}")
    assert len(sqs.list_queues(QueueNamePrefix=f"old-{unique}")["QueueUrls"]) == 1
    assert not sqs.list_queues(QueueNamePrefix=f"new-{unique}").get("QueueUrls")
    document = _role_policy(iam, role)
    assert f":old-{unique}" in document and f":new-{unique}" not in document
    cfn.delete_stack(StackName=name)


def _planned(
    cfn: Any, name: str, change_set: str, template: dict[str, Any], **parameters: str
) -> list[tuple[str, ...]]:
    """(action, logical id, replacement) of each change a change set lists."""
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
    changes = [change["ResourceChange"] for change in described["Changes"]]
    return sorted((c["Action"], c["LogicalResourceId"], c.get("Replacement", "")) for c in changes)


def test_a_change_set_lists_what_the_update_would_do(aws: Any, unique: str) -> None:
    """A new parameter value modifies what uses it (no replacement); a condition turned
    true adds its resource and modifies what refers to it, depending on it
    (``Conditional``); turned false, removes it; a new queue name replaces the queue, and
    what names it depends on the replacement."""
    cfn = aws("cloudformation")
    name = f"plan-{unique}"
    create(cfn, name, _conditional(), Capabilities=["CAPABILITY_IAM"])
    assert _planned(cfn, name, "version", _conditional(), Version="2") == [
        ("Modify", "Main", "False")
    ]
    assert _planned(cfn, name, "extra", _conditional(), Extra="yes") == [
        ("Add", "ExtraRole", ""),
        ("Modify", "Main", "Conditional"),
    ]
    cfn.execute_change_set(StackName=name, ChangeSetName="extra")
    assert status(cfn, name) == "UPDATE_COMPLETE"
    assert set(listed(cfn, name)) == {"Main", "ExtraRole"}
    assert _planned(cfn, name, "less", _conditional(), Extra="no") == [
        ("Modify", "Main", "False"),
        ("Remove", "ExtraRole", ""),
    ]
    cfn.delete_stack(StackName=name)

    queue_stack = f"plan-queue-{unique}"
    create(cfn, queue_stack, _queue_and_role(f"a-{unique}"), Capabilities=["CAPABILITY_IAM"])
    assert _planned(cfn, queue_stack, "rename", _queue_and_role(f"b-{unique}")) == [
        ("Modify", "Queue", "True"),
        ("Modify", "Role", "Conditional"),
    ]
    cfn.delete_stack(StackName=queue_stack)
