"""Local Lambda execution environments: awslambdaric for Python (or, where it has no wheel,
the project's own client, ``python_client``), a Runtime API bootstrap on node for Node.js
(``runtimes.py`` chooses by the function's ``Runtime``)."""
