"""Reference handlers for a chat on API Gateway WebSocket APIs, Lambda and DynamoDB.

Standard library and boto3 only, both present in the Lambda Python runtime, so this
folder is deployed as it is. Modules, one concern each:

- `handlers`: the Lambda entry points, one per route, plus the authorizer;
- `config`: settings from environment variables;
- `events`: read-only views over API Gateway's events;
- `validation`: checks on what clients send;
- `responses`: what goes back to API Gateway and to clients;
- `store`: the connections table;
- `history`: each room's recent messages and sequence counter;
- `fanout`: posting to one connection and to a whole room;
- `tokens`: minting and verifying the authorizer's signed tokens;
- `clients`: boto3 clients, made once per execution environment;
- `logs`: one JSON line per event.
"""
