"""``wslab.notebook.own_code`` without a stack: what an edit refuses, and the code AWS gets."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from wslab.aws import Target
from wslab.notebook import tutorial

NOWHERE = Target.local("http://127.0.0.1:9")  # never called: the edit is refused first


@pytest.mark.parametrize("old", ["absent", "twice"])
def test_an_edit_must_find_its_text_exactly_once(tmp_path: Path, old: str) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text("twice = 1\ntwice = 2\n")
    with pytest.raises(tutorial.TutorialError, match=f"occurrences of '{old}', not one"):
        tutorial.edit_code(NOWHERE, "f", handler, old, "new")
    assert handler.read_text() == "twice = 1\ntwice = 2\n"  # left as it was


def test_on_aws_the_code_is_a_zip_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text("def handler(event, context):\n    pass\n")
    code = tutorial.function_code(Target.aws("us-east-1"), tmp_path)
    assert list(code) == ["ZipFile"]
    assert zipfile.ZipFile(io.BytesIO(code["ZipFile"])).namelist() == ["handler.py"]
