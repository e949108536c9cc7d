"""moto_ext.core.state: what moto's models hold that plain pickle refuses, and how a saved
state's version stamp is checked."""

from __future__ import annotations

import collections
import io
import pickle
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from tests.support import scaled
from wslab.local.moto_ext.core.state import STATE_FILE, StateDir, StateError, StatePickler, stamp


class _Model:
    """Something a weak-value dictionary can point at, as Lambda's ARN lookups do."""

    def __init__(self, name: str) -> None:
        self.name = name


def _round_trip(value: Any) -> Any:
    stream = io.BytesIO()
    StatePickler(stream).dump(value)
    return pickle.loads(stream.getvalue())


def test_plain_pickle_refuses_what_the_state_pickler_carries() -> None:
    """The reason the pickler exists: moto's defaultdict(lambda: {}) and locks."""
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(collections.defaultdict(lambda: {}))
    with pytest.raises(TypeError):
        pickle.dumps(threading.Lock())


def test_a_lambda_made_defaultdict_keeps_its_items_and_its_default() -> None:
    aliases: collections.defaultdict[str, dict[str, int]] = collections.defaultdict(lambda: {})
    aliases["f"]["live"] = 1
    restored = _round_trip(aliases)
    assert restored == {"f": {"live": 1}}
    assert restored["new"] == {}


def test_a_weak_value_dictionary_keeps_the_entries_whose_values_are_saved_too() -> None:
    model = _Model("fn")
    lookups: weakref.WeakValueDictionary[str, _Model] = weakref.WeakValueDictionary()
    lookups["arn:fn"] = model
    restored_models, restored_lookups = _round_trip(([model], lookups))
    assert restored_lookups["arn:fn"] is restored_models[0]


def test_locks_come_back_new_and_unlocked() -> None:
    held, reentrant = threading.Lock(), threading.RLock()
    held.acquire()
    lock, rlock = _round_trip((held, reentrant))
    assert lock.acquire(blocking=False)
    assert rlock.acquire(blocking=False)


def test_a_state_of_another_format_is_refused_before_its_content_is_read(
    tmp_path: Path,
) -> None:
    """The stamp is read first: the content after it (here, garbage) is never unpickled."""
    tmp_path.joinpath(STATE_FILE).write_bytes(
        pickle.dumps({**stamp(), "format": 999}) + b"never read"
    )
    with pytest.raises(StateError, match="format 999"):
        StateDir(tmp_path).load()


def test_a_save_waits_for_a_stack_operation_without_deadlocking_with_it(tmp_path: Path) -> None:
    """A stack operation holds CloudFormation's lock and takes another service's while a
    save wants every lock: the save waits for the operation, and both finish."""
    from wslab.local.moto_ext.core.host import MotoHost

    host = MotoHost()
    state = StateDir(tmp_path, host)
    holding_stack = threading.Event()
    took_api_gateway = threading.Event()

    def stack_operation() -> None:
        with host.locks.of("cloudformation"):
            holding_stack.set()
            time.sleep(0.05)  # the save starts meanwhile
            with host.locks.of("apigateway"):  # sorts before "cloudformation"
                took_api_gateway.set()

    operation = threading.Thread(target=stack_operation)
    operation.start()
    assert holding_stack.wait(scaled(10))
    saved = threading.Thread(target=state.save)
    saved.start()
    operation.join(scaled(10))
    saved.join(scaled(10))
    assert took_api_gateway.is_set()
    assert not operation.is_alive() and not saved.is_alive(), "deadlocked"
    with tmp_path.joinpath(STATE_FILE).open("rb") as stream:
        assert pickle.load(stream) == stamp()


def test_a_save_that_fails_is_said_once_and_tried_again_at_the_next_change(
    tmp_path: Path,
) -> None:
    """A folder gone from under the stack: one warning, not one a second; the saver keeps
    trying after each change."""
    from wslab.local.moto_ext.core.host import MotoHost
    from wslab.local.moto_ext.core.state import StateSaver

    host = MotoHost()
    warnings: list[str] = []
    saver = StateSaver(StateDir(tmp_path / "gone", host), warnings.append, host)
    try:
        host.changes.bump("dynamodb")
        saver.save_if_changed()
        host.changes.bump("dynamodb")
        saver.save_if_changed()
    finally:
        saver.stop()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"wslab local: cannot save the state in {tmp_path / 'gone'}: ")
