"""The API Gateway WebSocket data plane's pure logic, free of I/O.

* :mod:`~wslab.gateway.ids`: connection, request and message ids.
* :mod:`~wslab.gateway.selection`: route selection expressions and route choice.
* :mod:`~wslab.gateway.frames`: error frames, close codes, size and time limits.
* :mod:`~wslab.gateway.events`: the Lambda events for ``$connect``, messages,
  ``$disconnect`` and the ``$connect`` authorizer.
* :mod:`~wslab.gateway.authorizer`: identity sources and authorizer policy decisions.
"""

__all__ = ["authorizer", "events", "frames", "ids", "selection"]
