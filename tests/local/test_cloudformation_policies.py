"""Policy-only resource types deploy, and their policy lands where the service keeps it:
a queue's ``Policy`` attribute, a topic's policy, a bucket policy. Deleting the resource
takes the policy away; updating it puts the new one on."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.local.cfn_helpers import create, listed, outputs, status


def _document(action: str, resource: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": action,
                "Resource": resource,
            }
        ],
    }


def _template(unique: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"pol-{unique}"}},
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": _document(
                        "s3:GetObject", {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}
                    ),
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue"},
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": _document(
                        "sqs:SendMessage", {"Fn::GetAtt": ["Queue", "Arn"]}
                    ),
                },
            },
            "Topic": {"Type": "AWS::SNS::Topic"},
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicInlinePolicy",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "PolicyDocument": _document("sns:Publish", {"Ref": "Topic"}),
                },
            },
        },
        "Outputs": {
            "QueueUrl": {"Value": {"Ref": "Queue"}},
            "TopicArn": {"Value": {"Ref": "Topic"}},
        },
    }


def _queue_policy(aws: Any, url: str) -> Any:
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    policy = attributes["Attributes"].get("Policy")
    return json.loads(policy) if policy else None


def _bucket_action(aws: Any, bucket: str) -> str:
    return str(
        json.loads(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Action"]
    )


@pytest.fixture
def stack(aws: Any, unique: str) -> tuple[str, dict[str, Any]]:
    template = _template(unique)
    create(aws("cloudformation"), f"policies-{unique}", template)
    return f"policies-{unique}", template


def test_policies_are_applied(aws: Any, unique: str, stack: tuple[str, dict[str, Any]]) -> None:
    """Each policy resource is listed, and each service answers with its policy."""
    name, _ = stack
    cfn = aws("cloudformation")
    assert status(cfn, name) == "CREATE_COMPLETE"
    assert {"BucketPolicy", "QueuePolicy", "TopicPolicy"} <= set(listed(cfn, name))
    out = outputs(cfn, name)
    assert _bucket_action(aws, f"pol-{unique}") == "s3:GetObject"
    assert _queue_policy(aws, out["QueueUrl"])["Statement"][0]["Action"] == "sqs:SendMessage"
    topic = aws("sns").get_topic_attributes(TopicArn=out["TopicArn"])["Attributes"]
    assert json.loads(topic["Policy"])["Statement"][0]["Action"] == "sns:Publish"


def test_updating_and_removing_policies(
    aws: Any, unique: str, stack: tuple[str, dict[str, Any]]
) -> None:
    """A changed bucket policy replaces the old one; a removed queue policy leaves none."""
    name, template = stack
    cfn, s3 = aws("cloudformation"), aws("s3")
    updated = copy.deepcopy(template)
    statement = updated["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statement[0]["Action"] = "s3:PutObject"
    del updated["Resources"]["QueuePolicy"]
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(updated))
    assert status(cfn, name) == "UPDATE_COMPLETE"
    assert _bucket_action(aws, f"pol-{unique}") == "s3:PutObject"
    assert _queue_policy(aws, outputs(cfn, name)["QueueUrl"]) is None
    assert "QueuePolicy" not in listed(cfn, name)
    del updated["Resources"]["BucketPolicy"]
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(updated))
    with pytest.raises(s3.exceptions.ClientError) as raised:
        s3.get_bucket_policy(Bucket=f"pol-{unique}")
    assert raised.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    cfn.delete_stack(StackName=name)


def test_a_bucket_that_denies_insecure_transport_takes_uploads(aws: Any, unique: str) -> None:
    """The policy sam deploy's bucket has (deny when aws:SecureTransport is false) lets the
    local stack, which stands for HTTPS, upload; an unconditional deny still denies."""
    cfn, s3 = aws("cloudformation"), aws("s3")
    bucket = f"sam-like-{unique}"
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [deny]},
                },
            },
        }
    }
    create(cfn, f"sam-like-{unique}", template)
    s3.put_object(Bucket=bucket, Key="code.zip", Body=b"zip")
    assert s3.get_object(Bucket=bucket, Key="code.zip")["Body"].read() == b"zip"
    unconditional = {key: value for key, value in deny.items() if key != "Condition"}
    policy = {"Version": "2012-10-17", "Statement": [unconditional]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(s3.exceptions.ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="other.zip", Body=b"zip")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="code.zip")
    cfn.delete_stack(StackName=f"sam-like-{unique}")
