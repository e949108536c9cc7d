"""The learner's own handler in notebook 02 (``wslab.notebook.own_code``): a function whose
code is the learner's folder, created by the tutorial's helper on a real ``wslab local``, runs
an edit made by ``edit_code`` at its very next invocation, with no deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local.lambda_helpers import invoke_json, role_arn
from tests.support import clients_on
from wslab.aws import Target
from wslab.notebook import tutorial

HANDLER = 'def handler(event, context):\n    return {"said": "before"}\n'


def test_an_edit_runs_at_the_next_invocation_without_a_deploy(
    endpoint_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, target = clients_on(endpoint_url), Target.local(endpoint_url)
    handler = tmp_path / "handler.py"
    handler.write_text(HANDLER)
    code = tutorial.function_code(target, tmp_path)
    assert code == {"S3Bucket": "hot-reload", "S3Key": str(tmp_path.resolve())}
    settings = {
        "FunctionName": "own-code",
        "Runtime": "python3.12",
        "Role": role_arn(aws("iam"), "wslab-test-lambda"),
        "Handler": "handler.handler",
    }
    tutorial.create_or_update_function(target, code, **settings)
    assert invoke_json(aws, "own-code")[0] == {"said": "before"}

    tutorial.edit_code(target, "own-code", handler, '"before"', '"after"')

    assert invoke_json(aws, "own-code")[0] == {"said": "after"}
    assert capsys.readouterr().out.splitlines() == [
        '-     return {"said": "before"}',
        '+     return {"said": "after"}',
    ]
    # The notebook run again: the function exists, and is updated to the same folder.
    again = tutorial.create_or_update_function(target, code, **settings)
    assert again["State"] == "Active"
    assert invoke_json(aws, "own-code")[0] == {"said": "after"}
