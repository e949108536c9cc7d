"""What the notebooks import: where calls go, names, waits, steps, cleanup, excerpts, commands
and stored outputs. Nothing here is evaluated at import."""
