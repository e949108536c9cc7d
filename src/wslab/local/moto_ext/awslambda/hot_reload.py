"""Functions whose code is a folder on this machine: LocalStack's hot-reload convention.

``Code: {S3Bucket: hot-reload, S3Key: /absolute/folder}`` (CreateFunction,
UpdateFunctionCode, CloudFormation's ``AWS::Lambda::Function``, SAM's ``CodeUri: {Bucket,
Key}``) makes a function without a package: the runtime starts its environments in the
folder and renews them when a file changes (``wslab.local.runtime.hot_reload``). The bucket
is LocalStack's name (``__local__`` before it; the ``$HOST_LAMBDA_DIR`` placeholder of its
docs is a shell variable, resolved before the call):
https://docs.localstack.cloud/user-guide/lambda-tools/hot-reloading/. No bucket of that name
is needed, and none is read.

The function answers as LocalStack's does (its ``HotReloadingCode``): ``CodeSha256`` is
``hot-reloading-hash-not-available``, ``CodeSize`` 0, and GetFunction's ``Code.Location``
is ``Code location: <folder>``. A key that is not an absolute path to an existing folder is
refused with ``InvalidParameterValueException`` (the wording is this project's own:
[UNCONFIRMED] LocalStack's message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaFunction

__all__ = ["HOT_RELOAD_BUCKETS", "HOT_RELOAD_CODE_SHA256", "code_folder", "install"]

HOT_RELOAD_BUCKETS = ("hot-reload", "__local__")
HOT_RELOAD_CODE_SHA256 = "hot-reloading-hash-not-available"
_FOLDER_ATTRIBUTE = "wslab_code_folder"


def code_folder(function: Any) -> str:
    """The folder that is ``function``'s code, or "" for a function with a package."""
    return str(getattr(function, _FOLDER_ATTRIBUTE, "") or "")


def _checked_folder(key: Any) -> str:
    if not isinstance(key, str) or not Path(key).is_absolute():
        raise InvalidParameterValueException(
            "Hot reload takes the absolute path of a folder on this machine as S3Key "
            f"(such as /home/me/project/lambda_src), not {key!r}"
        )
    if not Path(key).is_dir():
        raise InvalidParameterValueException(
            f"Hot reload needs the folder {key} to exist: no folder of that path on this machine"
        )
    return key


def _is_hot_reload(spec: Any) -> bool:
    return isinstance(spec, dict) and spec.get("S3Bucket") in HOT_RELOAD_BUCKETS


_installed = False


def install() -> None:
    """Patch moto's function model: its code setter and GetFunction's ``Code``. Idempotent."""
    global _installed
    if _installed:
        return
    original_set_code = LambdaFunction._set_function_code
    original_get_code = LambdaFunction.get_code

    def set_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> None:
        from_update = updated_spec is not self.code
        if from_update and updated_spec.get("DryRun"):
            return
        if not _is_hot_reload(updated_spec):
            original_set_code(self, updated_spec)
            setattr(self, _FOLDER_ATTRIBUTE, "")
            return
        folder = _checked_folder(updated_spec.get("S3Key"))
        self.code_bytes = b""
        self.code_size = 0
        self.code_sha_256 = HOT_RELOAD_CODE_SHA256
        self.code_digest = ""
        if from_update:
            self.code = {"S3Bucket": updated_spec["S3Bucket"], "S3Key": folder}
        setattr(self, _FOLDER_ATTRIBUTE, folder)

    def get_code(self: LambdaFunction) -> dict[str, Any]:
        answer: dict[str, Any] = original_get_code(self)
        folder = code_folder(self)
        if folder:
            answer["Code"] = {"Location": f"Code location: {folder}", "RepositoryType": "S3"}
        return answer

    LambdaFunction._set_function_code = set_function_code  # type: ignore[method-assign]
    LambdaFunction.get_code = get_code  # type: ignore[method-assign]
    _installed = True
