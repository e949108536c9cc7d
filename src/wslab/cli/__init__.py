"""The ``wslab`` command: the parser and dispatch in ``main``, one module per subcommand."""
