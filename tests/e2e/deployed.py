"""The chat's template deployed on the session's local AWS, for the tests of its clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from wslab.aws import Target
from wslab.deploy import ChatStack, delete, deploy

__all__ = ["DeployedChat", "deployed"]

_Chat = TypeVar("_Chat", bound="DeployedChat")


@dataclass
class DeployedChat:
    stack: ChatStack
    outputs: dict[str, str]

    @property
    def url(self) -> str:
        """Where WebSocket clients connect."""
        return self.outputs["WebSocketURL"]

    def room_connections(self, room: str) -> list[str]:
        """The ids of the connections in ``room``, from the connections table's index."""
        items = self.stack.client("dynamodb").query(
            TableName=self.outputs["ConnectionsTableName"],
            IndexName="roomId-index",
            KeyConditionExpression="roomId = :room",
            ExpressionAttributeValues={":room": {"S": room}},
        )["Items"]
        return [item["id"]["S"] for item in items]

    def management(self) -> Any:
        """The stage's @connections client."""
        return self.stack.target.client_at("apigatewaymanagementapi", self.outputs["ManagementURL"])


def deployed(
    endpoint_url: str, name: str, make: Callable[[ChatStack, dict[str, str]], _Chat], **options: Any
) -> Iterator[_Chat]:
    """``make(stack, outputs)`` for the stack ``name`` deployed with ``deploy``'s
    ``options``; the stack is deleted afterwards."""
    stack = ChatStack(Target.local(endpoint_url), name, say=lambda line: None)
    try:
        yield make(stack, deploy(stack, **options))
    finally:
        delete(stack)
