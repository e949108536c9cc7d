"""DynamoDB Query that reads one partition, as DynamoDB does, instead of the whole table.

moto's ``Table.query`` walks every item of the table (``Table.all_items``) and keeps those
of the partition asked for: a chat room's Query on ``roomId-index`` cost as much as the
whole connections table (38 ms with no other connection, 273 ms with 10,000). Here each
Query hands moto's own code only the candidates of its partition, so everything after the
lookup (key conditions, order, ``Limit``, pages, filters, projections, ``ScannedCount``)
stays moto's:

- a Query on the table itself: the partition is moto's own ``Table.items[hash]``;
- on a local secondary index: the same partition (the table's hash key);
- on a global secondary index with one hash attribute: a map from that attribute's value
  to the items holding it, built on the index's first Query and kept up to date by every
  write path (``Table.put_item``, ``Table.delete_item``, ``DynamoDBBackend.update_item``,
  which the batch, transaction and PartiQL writes go through). A table whose item store
  was replaced (restore, rolled-back transaction) or whose indexes changed is mapped again.

Everything here runs under the DynamoDB service lock ``moto_app`` holds for each call.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, LocalSecondaryIndex, Table

__all__ = ["install", "partition_candidates"]

_ItemKey = tuple[DynamoType, DynamoType | None]


def _key(item: Item) -> _ItemKey:
    return (item.hash_key, item.range_key)


def _global_hash_attributes(table: Table) -> dict[str, str]:
    """Each global secondary index with a single hash attribute: index name -> attribute."""
    found = {}
    for index in table.global_indexes or []:
        hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        if len(hashes) == 1:
            found[index.name] = hashes[0]
    return found


class _GlobalIndexPartitions:
    """For one table: each global index's items, by the value of the index's hash key."""

    def __init__(self, table: Table) -> None:
        self.store = table.items  # to notice when moto replaces the whole store
        self.attributes = _global_hash_attributes(table)
        self._partitions: dict[str, dict[DynamoType, dict[_ItemKey, Item]]] = {
            name: {} for name in self.attributes
        }
        self._placed: dict[str, dict[_ItemKey, DynamoType]] = {name: {} for name in self.attributes}
        for item in table.all_items():
            self.place(item)

    def current_for(self, table: Table) -> bool:
        return self.store is table.items and self.attributes == _global_hash_attributes(table)

    def place(self, item: Item) -> None:
        """File ``item`` under its index keys' current values (an item without the
        attribute is not in that index, as in DynamoDB's sparse indexes)."""
        key = _key(item)
        for name, attribute in self.attributes.items():
            self._unplace(name, key)
            value = item.attrs.get(attribute)
            if value is not None:
                self._partitions[name].setdefault(value, {})[key] = item
                self._placed[name][key] = value

    def remove(self, key: _ItemKey) -> None:
        for name in self.attributes:
            self._unplace(name, key)

    def _unplace(self, name: str, key: _ItemKey) -> None:
        value = self._placed[name].pop(key, None)
        if value is None:
            return
        partition = self._partitions[name][value]
        partition.pop(key, None)
        if not partition:
            del self._partitions[name][value]

    def partition(self, name: str, value: DynamoType) -> list[Item]:
        return list(self._partitions[name].get(value, {}).values())


_GLOBAL: weakref.WeakKeyDictionary[Table, _GlobalIndexPartitions] = weakref.WeakKeyDictionary()


def _global_partitions(table: Table) -> _GlobalIndexPartitions:
    partitions = _GLOBAL.get(table)
    if partitions is None or not partitions.current_for(table):
        partitions = _GLOBAL[table] = _GlobalIndexPartitions(table)
    return partitions


def _table_partition(table: Table, hash_value: DynamoType) -> list[Item]:
    stored: Any = table.items.get(hash_value)  # .get: the store is a defaultdict
    if stored is None:
        return []
    return list(stored.values()) if table.range_key_attr else [stored]


def _hash_value(
    attribute: str,
    hash_key: DynamoType | None,
    hash_key_conditions: Iterable[tuple[str, DynamoType]] | None,
) -> DynamoType | None:
    if hash_key_conditions:
        return dict(hash_key_conditions).get(attribute)
    return hash_key


def partition_candidates(
    table: Table,
    hash_key: DynamoType | None,
    index_name: str | None,
    hash_key_conditions: Iterable[tuple[str, DynamoType]] | None,
) -> list[Item] | None:
    """The items a Query can match, or None when only a walk of the table can tell."""
    conditions = list(hash_key_conditions or [])
    if index_name is None:
        value = _hash_value(table.hash_key_attr, hash_key, conditions)
        return None if value is None else _table_partition(table, value)
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if isinstance(index, LocalSecondaryIndex):
        value = _hash_value(table.hash_key_attr, hash_key, conditions)
        return None if value is None else _table_partition(table, value)
    if not isinstance(index, GlobalSecondaryIndex):
        return None  # moto's own code answers an unknown index with its error
    partitions = _global_partitions(table)
    attribute = partitions.attributes.get(index_name)
    if attribute is None:
        return None  # several hash attributes: rare; moto's walk answers it
    value = _hash_value(attribute, hash_key, conditions)
    return None if value is None else partitions.partition(index_name, value)


def _track(table: Table) -> _GlobalIndexPartitions | None:
    """The table's partitions if a Query built them (else there is nothing to keep)."""
    partitions = _GLOBAL.get(table)
    return partitions if partitions is not None and partitions.current_for(table) else None


def _refile(
    backend: DynamoDBBackend, table: Table, key: Any, partitions: _GlobalIndexPartitions
) -> None:
    try:
        hash_value, range_value = backend.get_keys_value(table, key)
        item = table.get_item(hash_value, range_value)
    except Exception:  # a malformed key (the update failed on it): map the table again
        _GLOBAL.pop(table, None)
        return
    if item is None:
        partitions.remove((hash_value, range_value))
    else:
        partitions.place(item)


_installed = False


def install() -> None:
    """Patch moto's DynamoDB Query and write paths. Idempotent."""
    global _installed
    if _installed:
        return
    original_query: Callable[..., Any] = Table.query
    signature = inspect.signature(original_query)

    @functools.wraps(original_query)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        candidates = partition_candidates(
            self,
            arguments.get("hash_key"),
            arguments.get("index_name"),
            arguments.get("hash_key_conditions"),
        )
        if candidates is None:
            return original_query(self, *args, **kwargs)
        # moto's query enumerates through self.all_items(): let it see the partition only.
        self.all_items = lambda: candidates  # type: ignore[method-assign]
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    original_put: Callable[..., Item] = Table.put_item

    @functools.wraps(original_put)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = original_put(self, *args, **kwargs)
        partitions = _track(self)
        if partitions is not None:
            partitions.place(item)
        return item

    original_delete: Callable[..., Item | None] = Table.delete_item

    @functools.wraps(original_delete)
    def delete_item(self: Table, *args: Any, **kwargs: Any) -> Item | None:
        item = original_delete(self, *args, **kwargs)
        partitions = _track(self)
        if partitions is not None and item is not None:
            partitions.remove(_key(item))
        return item

    original_update: Callable[..., Item] = DynamoDBBackend.update_item

    def update_item(
        self: DynamoDBBackend, table_name: str, key: Any, *args: Any, **kw: Any
    ) -> Item:
        # The update changes the item in place, maybe an index key (a connection moving
        # to another room): file it again, even when the update failed half-way.
        try:
            return original_update(self, table_name, key, *args, **kw)
        finally:
            table = self.tables.get(table_name)
            partitions = _track(table) if table is not None else None
            if table is not None and partitions is not None:
                _refile(self, table, key, partitions)

    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
    _installed = True
