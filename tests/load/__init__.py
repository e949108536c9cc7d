"""Load, fault and fuzz scenarios against the chat deployed on a ``wslab local`` of their own.

``python -m tests.load`` (``make load``) runs the long versions and prints their figures;
``tests/load/test_*.py`` run short versions of the same scenarios in ``make test`` and
assert what must hold whatever the machine's speed: nothing lost, no error frame, no
``Internal server error``, every gap recovered.
"""
