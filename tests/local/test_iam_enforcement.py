"""IAM for code running in Lambda: each function acts with its role's temporary credentials,
and what its role's policies do not allow is refused as AWS refuses it, per service."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.local.iam_helpers import (
    ACCOUNT,
    REGION,
    allow,
    call_from,
    create_caller,
    create_role,
    denied,
    deny,
    document,
    put_policy,
    role_credentials,
    session_arn,
    signed_request,
)
from wslab.aws import LAMBDA_TRUST_POLICY
from wslab.deploy.packaging import zip_sources

TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{{}}"


def _create_table(aws: Any, name: str) -> str:
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "roomId", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "roomId-index",
                "KeySchema": [{"AttributeName": "roomId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE_ARN.format(name)


def _query_room(table: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "IndexName": "roomId-index",
        "KeyConditionExpression": "roomId = :room",
        "ExpressionAttributeValues": {":room": {"S": "lobby"}},
    }


@pytest.fixture
def table(aws: Any, unique: str) -> str:
    name = f"iam-{unique}"
    _create_table(aws, name)
    return name


def test_query_on_an_index_needs_the_index_and_a_fix_needs_no_redeploy(
    aws: Any, unique: str, table: str
) -> None:
    """Query on the table's ARN does not cover its index: AccessDeniedException naming the
    index; allowing ``index/*`` fixes the same warm function, with no new code."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    table_arn = TABLE_ARN.format(table)
    create_caller(aws, function, create_role(iam, role, allow("dynamodb:Query", table_arn)))
    report = call_from(aws, function, "dynamodb", "query", **_query_room(table))
    assert report == {
        "code": "AccessDeniedException",
        "status": 400,
        "message": denied(
            session_arn(role, function), "dynamodb:Query", f"{table_arn}/index/roomId-index"
        ),
    }
    sha = aws("lambda").get_function(FunctionName=function)["Configuration"]["CodeSha256"]
    put_policy(iam, role, allow("dynamodb:Query", [table_arn, f"{table_arn}/index/*"]))
    assert call_from(aws, function, "dynamodb", "query", **_query_room(table)) == {"ok": True}
    assert aws("lambda").get_function(FunctionName=function)["Configuration"]["CodeSha256"] == sha


def test_an_explicit_deny_wins(aws: Any, unique: str, table: str) -> None:
    """A Deny in any policy beats every Allow, and says so; taking it away restores access."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    index_arn = f"{TABLE_ARN.format(table)}/index/roomId-index"
    create_caller(aws, function, create_role(iam, role, allow("dynamodb:*", "*")))
    put_policy(iam, role, deny("dynamodb:Query", index_arn), name="no-query")
    report = call_from(aws, function, "dynamodb", "query", **_query_room(table))
    assert report["code"] == "AccessDeniedException"
    assert report["message"] == (
        f"User: {session_arn(role, function)} is not authorized to perform: dynamodb:Query on "
        f"resource: {index_arn} with an explicit deny in an identity-based policy"
    )
    iam.delete_role_policy(RoleName=role, PolicyName="no-query")
    assert call_from(aws, function, "dynamodb", "query", **_query_room(table)) == {"ok": True}


def test_the_wrong_table(aws: Any, unique: str, table: str) -> None:
    """PutItem allowed on one table is refused on another, which the message names."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    other = _create_table(aws, f"iam-other-{unique}")
    create_caller(
        aws, function, create_role(iam, role, allow("dynamodb:PutItem", TABLE_ARN.format(table)))
    )
    item = {"id": {"S": "a"}, "roomId": {"S": "lobby"}}
    assert call_from(aws, function, "dynamodb", "put_item", TableName=table, Item=item)["ok"]
    report = call_from(
        aws, function, "dynamodb", "put_item", TableName=f"iam-other-{unique}", Item=item
    )
    assert report["message"] == denied(session_arn(role, function), "dynamodb:PutItem", other)


def test_every_table_of_a_batch_is_checked(aws: Any, unique: str, table: str) -> None:
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    other_name = f"iam-batch-{unique}"
    other = _create_table(aws, other_name)
    create_caller(
        aws,
        function,
        create_role(iam, role, allow("dynamodb:BatchWriteItem", TABLE_ARN.format(table))),
    )
    put = {"PutRequest": {"Item": {"id": {"S": "a"}, "roomId": {"S": "x"}}}}
    report = call_from(
        aws,
        function,
        "dynamodb",
        "batch_write_item",
        RequestItems={table: [put], other_name: [put]},
    )
    assert report["message"] == denied(
        session_arn(role, function), "dynamodb:BatchWriteItem", other
    )


def test_wildcards_and_action_case(aws: Any, unique: str, table: str) -> None:
    """``*`` and ``?`` in actions and resources; action names match in any case."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    pattern = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/iam-????????/index/*"
    create_caller(aws, function, create_role(iam, role, allow("DynamoDB:q*", pattern)))
    assert call_from(aws, function, "dynamodb", "query", **_query_room(table)) == {"ok": True}
    report = call_from(aws, function, "dynamodb", "scan", TableName=table)
    assert report["code"] == "AccessDeniedException"


def test_attached_managed_policies_and_boundaries(aws: Any, unique: str, table: str) -> None:
    """An attached managed policy allows; detached, it no longer does. A permissions
    boundary limits what the identity policies allow."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    create_caller(aws, function, create_role(iam, role))
    managed = iam.create_policy(
        PolicyName=f"query-{unique}", PolicyDocument=document([allow("dynamodb:*", "*")])
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=managed)
    assert call_from(aws, function, "dynamodb", "query", **_query_room(table)) == {"ok": True}

    boundary = iam.create_policy(
        PolicyName=f"boundary-{unique}", PolicyDocument=document([allow("dynamodb:Scan", "*")])
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    report = call_from(aws, function, "dynamodb", "query", **_query_room(table))
    assert report["message"].endswith(
        "because no permissions boundary allows the dynamodb:Query action"
    )
    assert call_from(aws, function, "dynamodb", "scan", TableName=table) == {"ok": True}
    iam.delete_role_permissions_boundary(RoleName=role)
    iam.detach_role_policy(RoleName=role, PolicyArn=managed)
    report = call_from(aws, function, "dynamodb", "scan", TableName=table)
    assert report["code"] == "AccessDeniedException"


def test_list_tables_is_judged_on_every_table(aws: Any, unique: str) -> None:
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    create_caller(aws, function, create_role(iam, role))
    report = call_from(aws, function, "dynamodb", "list_tables")
    assert report["message"] == denied(
        session_arn(role, function), "dynamodb:ListTables", TABLE_ARN.format("*")
    )


def test_secrets_manager(aws: Any, unique: str) -> None:
    """GetSecretValue is judged on the secret's ARN (``-??????`` suffix included); a refusal
    names the secret as the call did."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    secret = aws("secretsmanager").create_secret(Name=f"key-{unique}", SecretString="s")["ARN"]
    create_caller(aws, function, create_role(iam, role))
    report = call_from(
        aws, function, "secretsmanager", "get_secret_value", SecretId=f"key-{unique}"
    )
    assert report == {
        "code": "AccessDeniedException",
        "status": 400,
        "message": denied(
            session_arn(role, function), "secretsmanager:GetSecretValue", f"key-{unique}"
        ),
    }
    pattern = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:key-{unique}-??????"
    put_policy(iam, role, allow("secretsmanager:GetSecretValue", pattern))
    for secret_id in (f"key-{unique}", secret):
        assert call_from(aws, function, "secretsmanager", "get_secret_value", SecretId=secret_id)[
            "ok"
        ]


def test_cloudwatch_logs(aws: Any, unique: str) -> None:
    """Logs' resources: a group is ``log-group:<name>:log-stream:``, a stream names itself."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    group = f"/app/{unique}"
    base = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    aws("logs").create_log_group(logGroupName=group)
    create_caller(aws, function, create_role(iam, role, allow("logs:CreateLogStream", f"{base}:*")))
    report = call_from(aws, function, "logs", "create_log_group", logGroupName=group + "-2")
    assert report["message"] == denied(
        session_arn(role, function),
        "logs:CreateLogGroup",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}-2:log-stream:",
    )
    assert call_from(
        aws, function, "logs", "create_log_stream", logGroupName=group, logStreamName="s"
    )
    report = call_from(
        aws,
        function,
        "logs",
        "put_log_events",
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": 1, "message": "m"}],
    )
    assert report["message"] == denied(
        session_arn(role, function), "logs:PutLogEvents", f"{base}:log-stream:s"
    )


def test_invoking_another_function(aws: Any, unique: str) -> None:
    """lambda:InvokeFunction on the function's ARN: 403 AccessDeniedException without it."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    target = f"target-{unique}"
    create_caller(aws, target, create_role(iam, f"target-role-{unique}"))
    create_caller(aws, function, create_role(iam, role))
    report = call_from(aws, function, "lambda", "invoke", FunctionName=target, Payload="{}")
    target_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{target}"
    assert report == {
        "code": "AccessDeniedException",
        "status": 403,
        "message": denied(session_arn(role, function), "lambda:InvokeFunction", target_arn),
    }
    put_policy(iam, role, allow("lambda:InvokeFunction", target_arn))
    event = json.dumps({"service": "sts", "call": "get_caller_identity"})
    assert call_from(aws, function, "lambda", "invoke", FunctionName=target, Payload=event)["ok"]


def test_the_code_acts_as_its_role_and_other_callers_as_administrators(
    aws: Any, unique: str, table: str
) -> None:
    """Inside: GetCallerIdentity says the role session. Outside: the test's own credentials
    (no role's) may do anything, as an administrator's would."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    create_caller(aws, function, create_role(iam, role))
    source = (
        "import boto3\n"
        "def handler(event, context):\n"
        "    return boto3.client('sts').get_caller_identity()['Arn']\n"
    )
    aws("lambda").update_function_code(
        FunctionName=function, ZipFile=zip_sources({"app.py": source})
    )
    answer = aws("lambda").invoke(FunctionName=function)["Payload"].read()
    assert json.loads(answer) == session_arn(role, function)
    assert aws("dynamodb").query(**_query_room(table))["Count"] == 0


def test_the_wire_shapes(aws: Any, endpoint_url: str, unique: str, table: str) -> None:
    """What an SDK receives: DynamoDB's ``__type`` and ``Message``; Secrets Manager's and
    Logs' JSON 1.1 errors; a session token that is not the credentials' own."""
    iam, role = aws("iam"), f"role-{unique}"
    credentials = role_credentials(aws, create_role(iam, role), "raw")
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/raw"

    body = json.dumps({"TableName": table}).encode()
    status, headers, payload = signed_request(
        endpoint_url,
        credentials,
        "dynamodb",
        body,
        {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0"},
    )
    assert status == 400
    assert json.loads(payload) == {
        "__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
        "Message": denied(principal, "dynamodb:Scan", TABLE_ARN.format(table)),
    }

    for service, target, key in (
        ("secretsmanager", "secretsmanager.ListSecrets", "Message"),
        ("logs", "Logs_20140328.DescribeLogGroups", "message"),
    ):
        status, _, payload = signed_request(
            endpoint_url,
            credentials,
            service,
            b"{}",
            {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        assert status == 400
        assert json.loads(payload)["__type"] == "AccessDeniedException"
        assert json.loads(payload)[key].startswith(f"User: {principal} is not authorized")

    forged = type(credentials)(credentials.access_key, credentials.secret_key, "not-the-token")
    status, _, payload = signed_request(
        endpoint_url,
        forged,
        "dynamodb",
        body,
        {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0"},
    )
    assert status == 400
    assert json.loads(payload) == {
        "__type": "com.amazon.coral.service#UnrecognizedClientException",
        "message": "The security token included in the request is invalid.",
    }
    assert "x-amzn-RequestId" in headers


def test_aws_managed_policies_can_be_attached(aws: Any, unique: str, table: str) -> None:
    """AWS's own managed policies (the Lambda basic role, DynamoDB read-only) attach and
    allow what AWS's documents say."""
    iam, role, function = aws("iam"), f"role-{unique}", f"fn-{unique}"
    create_caller(aws, function, create_role(iam, role))
    for name in ("service-role/AWSLambdaBasicExecutionRole", "AmazonDynamoDBReadOnlyAccess"):
        iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{name}")
    assert call_from(aws, function, "dynamodb", "query", **_query_room(table)) == {"ok": True}
    item = {"id": {"S": "a"}, "roomId": {"S": "lobby"}}
    report = call_from(aws, function, "dynamodb", "put_item", TableName=table, Item=item)
    assert report["code"] == "AccessDeniedException"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")


ROLE_TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: MANAGED
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ACTION
                Resource: "*"
Outputs:
  RoleArn:
    Value: !GetAtt Role.Arn
"""


def test_a_template_role_allows_what_it_says_before_and_after_an_update(
    aws: Any, endpoint_url: str, unique: str, table: str
) -> None:
    """A role from CloudFormation gets its ManagedPolicyArns; a stack update changes its
    policies, and the next call is judged on the new ones."""
    cloudformation, stack = aws("cloudformation"), f"roles-{unique}"

    def body(managed: str, action: str) -> str:
        return ROLE_TEMPLATE.replace("MANAGED", managed).replace("ACTION", action)

    read_only = "[arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess]"
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=body(read_only, "dynamodb:PutItem"),
        Capabilities=["CAPABILITY_IAM"],
    )
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    role_arn = outputs[0]["OutputValue"]
    dynamodb = _as_role(aws, endpoint_url, role_arn)
    item = {"id": {"S": "a"}, "roomId": {"S": "lobby"}}
    dynamodb.query(**_query_room(table))
    dynamodb.put_item(TableName=table, Item=item)

    cloudformation.update_stack(
        StackName=stack,
        TemplateBody=body("[]", "dynamodb:GetItem"),
        Capabilities=["CAPABILITY_IAM"],
    )
    for call in (
        lambda: dynamodb.query(**_query_room(table)),
        lambda: dynamodb.put_item(TableName=table, Item=item),
    ):
        with pytest.raises(dynamodb.exceptions.ClientError, match="AccessDeniedException"):
            call()
    dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})
    cloudformation.delete_stack(StackName=stack)


def _as_role(aws: Any, endpoint_url: str, role_arn: str) -> Any:
    """A DynamoDB client signing with the role's temporary credentials."""
    credentials = role_credentials(aws, role_arn, "template")
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )


def test_a_stack_deletes_a_role_it_gave_managed_policies(aws: Any, unique: str) -> None:
    """CloudFormation detaches the managed policies it attached before it deletes the role
    (IAM alone would refuse: DeleteConflict, "must detach all policies first")."""
    cfn = aws("cloudformation")
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.dumps(LAMBDA_TRUST_POLICY),
                    "ManagedPolicyArns": [
                        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                },
            }
        }
    }
    name = f"managed-{unique}"
    stack_id = cfn.create_stack(
        StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName=stack_id)
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id)
