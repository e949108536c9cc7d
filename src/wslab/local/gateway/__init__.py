"""The API Gateway WebSocket data plane: WebSocket connections and ``@connections``.

It serves what a :class:`~wslab.local.control.ControlPlane` says is deployed and invokes
functions through an :class:`~wslab.local.control.Invoker`; it never reads moto itself.

Pure logic, no I/O (unit-tested on their own):

* :mod:`.ids`: connection, request and message ids.
* :mod:`.selection`: route selection expressions and route choice.
* :mod:`.frames`: error frames, close codes, size and time limits.
* :mod:`.events`: the Lambda events for ``$connect``, messages, ``$disconnect`` and the
  ``$connect`` authorizer.
* :mod:`.authorizer`: identity sources and authorizer policy decisions.
* :mod:`.access_log`: access-log lines.

On aiohttp:

* :mod:`.server`: the :class:`~.server.Gateway` (connect, route, disconnect).
* :mod:`.websocket`: API Gateway's frame and message limits on aiohttp's WebSocket.
* :mod:`.connections`: live connections.
* :mod:`.management`: the ``@connections`` API.
* :mod:`.integrations`: calling a route's Lambda proxy integration.
"""
