"""``AWS::DynamoDB::Table`` with its time to live and point-in-time recovery.

moto's table model ignores ``TimeToLiveSpecification`` and
``PointInTimeRecoverySpecification``; the tutorial's tables use both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["install"]


def _table_with_ttl_and_recovery(original: Callable[..., Any]) -> Callable[..., Any]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        table = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties") or {}
        backend = dynamodb_backends[account_id][region_name]
        if "TimeToLiveSpecification" in properties:
            backend.update_time_to_live(table.name, properties["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in properties:
            backend.update_continuous_backups(
                table.name, properties["PointInTimeRecoverySpecification"]
            )
        return table

    return create


def install() -> None:
    from moto.dynamodb.models.table import Table

    Table.create_from_cloudformation_json = staticmethod(  # type: ignore[method-assign]
        _table_with_ttl_and_recovery(Table.create_from_cloudformation_json)
    )
