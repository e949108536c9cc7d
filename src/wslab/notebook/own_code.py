"""The learner's own handler: code in a folder of theirs, run by a function without a deploy.

Locally the function's code is the folder itself (hot reload: ``Code={"S3Bucket":
"hot-reload", "S3Key": <absolute folder>}``), so a saved edit reaches the next invocation.
AWS has no such bucket: there the same cells deploy a zip of the folder, and deploy it again
after each edit. This branch is the only difference between the two targets.
"""

from __future__ import annotations

import difflib
import os
import time
from pathlib import Path
from typing import Any

from wslab.aws import Target
from wslab.deploy.packaging import zip_directory
from wslab.notebook.names import TutorialError

__all__ = ["HOT_RELOAD_BUCKET", "edit_code", "function_code"]

HOT_RELOAD_BUCKET = "hot-reload"
# The local AWS notices a saved file within about 0.2 s (benchmarks/hot_reload.py; its watch
# waits for 300 ms of quiet at most): an invocation sooner may still run the old code.
_RELOAD_WAIT_S = 1.0


def function_code(target: Target, folder: Path) -> dict[str, Any]:
    """``Code`` for ``CreateFunction`` (and, spread, ``UpdateFunctionCode``): the folder
    itself on the local AWS, a zip of it on AWS."""
    if target.is_local:
        return {"S3Bucket": HOT_RELOAD_BUCKET, "S3Key": str(folder.resolve())}
    return {"ZipFile": zip_directory(folder)}


def edit_code(target: Target, function_name: str, file: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``file`` by ``new``, as an editor would, and
    print the lines that changed; then make sure the function's next invocation runs it:
    locally, wait for the hot reload; on AWS, deploy the folder again."""
    source = file.read_text(encoding="utf-8")
    found = source.count(old)
    if found != 1:
        raise TutorialError(f"{file.name} has {found} occurrences of {old!r}, not one")
    edited = source.replace(old, new)
    file.write_text(edited, encoding="utf-8")
    for line in difflib.ndiff(source.splitlines(), edited.splitlines()):
        if line.startswith(("- ", "+ ")):
            print(line)
    if target.is_local:
        time.sleep(_RELOAD_WAIT_S * float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1")))
        return
    lambda_ = target.client("lambda")
    lambda_.update_function_code(FunctionName=function_name, **function_code(target, file.parent))
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=function_name)
    print(f"deployed {file.parent.name} to {function_name} again (no hot reload on AWS)")
