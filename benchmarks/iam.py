"""What IAM enforcement costs a call: the same DynamoDB round trips signed with a role's
temporary credentials (checked) and with an administrator's (not checked).

Run: ``.venv/bin/python benchmarks/iam.py [--json PATH]``

- ``ListTables`` and ``Query`` on an index, 300 sequential calls each after 5 untimed, with
  the test's credentials (the baseline) and with credentials of a role allowed both (what a
  Lambda handler's calls are): the decision comes from the cache;
- the first ``Query`` after each change of the role's policy: the decision is computed
  again (policies read from moto, statements evaluated), 100 changes.
"""

from __future__ import annotations

import json
import uuid

import boto3
from common import Clients, Report, Stopwatch, local_stack, parse_arguments, progress, time_calls

from wslab.aws import LAMBDA_TRUST_POLICY

CALLS = 300
CHANGES = 100


def main() -> None:
    arguments = parse_arguments(__doc__)
    report = Report("IAM enforcement")
    with local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        table = f"bench-{uuid.uuid4().hex[:8]}"
        aws("dynamodb").create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "room", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "room",
                    "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
        iam = aws("iam")
        role_arn = iam.create_role(
            RoleName=table, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )["Role"]["Arn"]

        def allow(*extra: str) -> None:
            """ListTables, Query on the index, and PutItem on ``extra`` (a change each time)."""
            every_table = arn.rsplit("/", 1)[0] + "/*"
            statements = [
                {"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": every_table},
                {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": f"{arn}/index/*"},
                {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": [arn, *extra]},
            ]
            policy = {"Version": "2012-10-17", "Statement": statements}
            iam.put_role_policy(RoleName=table, PolicyName="p", PolicyDocument=json.dumps(policy))

        allow()
        issued = aws("sts").assume_role(RoleArn=role_arn, RoleSessionName="bench")["Credentials"]
        role = boto3.client(
            "dynamodb",
            endpoint_url=stack.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=issued["AccessKeyId"],
            aws_secret_access_key=issued["SecretAccessKey"],
            aws_session_token=issued["SessionToken"],
        )
        admin = aws("dynamodb")
        query = {
            "TableName": table,
            "IndexName": "room",
            "KeyConditionExpression": "room = :r",
            "ExpressionAttributeValues": {":r": {"S": "lobby"}},
        }
        for name, who in (("administrator", admin), ("role", role)):
            progress(f"ListTables and Query as {name}: {CALLS} each")
            report.add_distribution(
                f"ListTables, {name}",
                time_calls(who.list_tables, CALLS),
                reference_name=None if name == "administrator" else "ListTables, administrator",
            )
            report.add_distribution(
                f"Query on an index, {name}",
                time_calls(lambda who=who: who.query(**query), CALLS),
                reference_name=(
                    None if name == "administrator" else "Query on an index, administrator"
                ),
            )
        progress(f"Query after each of {CHANGES} policy changes")
        samples = []
        for change in range(CHANGES):
            allow(f"{arn}-{change}")
            with Stopwatch() as watch:
                role.query(**query)
            samples.append(watch.ms)
        report.add_distribution(
            "Query as role, first after a policy change",
            samples,
            reference_name="Query on an index, role",
        )
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
