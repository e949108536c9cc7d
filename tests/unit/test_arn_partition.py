"""Every ARN the tutorial builds starts with the partition of its region: ``aws``, ``aws-cn``
(Beijing, Ningxia), ``aws-us-gov`` (GovCloud). ``WSLAB_TARGET=aws`` in ``cn-north-1`` must
build ``arn:aws-cn:...`` everywhere, as the template does with ``${AWS::Partition}``.

The notebooks' own ARN-building code runs here against a local AWS in ``cn-north-1`` (moto
answers there with ``arn:aws-cn:`` identities, as AWS China does)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tests.solutions import sections
from wslab.aws import LAMBDA_TRUST_POLICY
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import allow_api_gateway, integration_uri
from wslab.notebook import tutorial
from wslab.notebook.tutorial import Target

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("notebooks/**/[0-9][0-9]_*.ipynb"))
CHINA = "cn-north-1"
ACCOUNT = "123456789012"  # the local AWS's account


def _code_cells(path: Path) -> list[str]:
    """The notebook's code cells as the Python IPython runs (``%%writefile``, ``!``)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    transform = TransformerManager().transform_cell
    return [transform("".join(cell["source"])) for cell in cells if cell["cell_type"] == "code"]


def _arn_expressions(path: Path) -> Iterator[ast.expr]:
    """Each string (f-string or plain) in the notebook's code that starts with ``arn:``."""
    for source in _code_cells(path):
        tree = ast.parse(source)
        parts = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            if id(node) in parts:  # a piece of an f-string, not a string of its own
                continue
            first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
            is_string = isinstance(node, ast.JoinedStr | ast.Constant)
            if (
                is_string
                and isinstance(first, ast.Constant)
                and str(first.value).startswith("arn:")
            ):
                yield node


def _partition_binding(path: Path) -> ast.Assign:
    """The statement that binds ``partition`` (with ``region`` and ``account``)."""
    for source in _code_cells(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and "partition" in ast.unparse(node.targets[0]):
                return node
    raise AssertionError(f"{path.name} builds ARNs but never binds `partition`")


class _Placeholder(str):
    """Any other name an ARN is made of (``api_id``, ``faults.api_id``, ...)."""

    def __getattr__(self, name: str) -> _Placeholder:
        return _Placeholder(f"{self}.{name}")

    def __getitem__(self, key: Any) -> _Placeholder:  # type: ignore[override]
        return _Placeholder(f"{self}[{key}]")


class _Names(dict[str, Any]):
    def __missing__(self, name: str) -> _Placeholder:
        return _Placeholder(name)


BUILDERS = [path for path in NOTEBOOKS if any(True for _ in _arn_expressions(path))]


def test_the_notebooks_that_build_arns_are_found() -> None:
    """02, 03, 05 and 08 build ARNs, in every edition (else the test below checks nothing)."""
    numbers = {path.name[:2] for path in BUILDERS}
    assert numbers == {"02", "03", "05", "08"}


@pytest.mark.parametrize("path", BUILDERS, ids=[str(p.relative_to(ROOT)) for p in BUILDERS])
def test_the_notebooks_build_every_arn_in_the_region_s_partition(
    path: Path, endpoint_url: str
) -> None:
    """The notebook's ``partition, region, account = ...`` runs on a local AWS in
    cn-north-1; then every ARN its cells write is evaluated: all are ``arn:aws-cn:...``."""
    names = _Names(aws=Target.local(endpoint_url, CHINA), tutorial=tutorial)
    binding = _partition_binding(path)
    exec(compile(ast.Module([binding], type_ignores=[]), path.name, "exec"), {}, names)
    assert (names["partition"], names["region"], names["account"]) == ("aws-cn", CHINA, ACCOUNT)
    arns = [
        eval(compile(ast.Expression(node), path.name, "eval"), {}, names)
        for node in _arn_expressions(path)
    ]
    assert len(arns) >= 2
    for arn in arns:
        _, partition, service, region, account, _resource = arn.split(":", 5)
        assert partition == "aws-cn", arn
        assert region in (CHINA, ""), arn
        # an integration URI names the service it calls where an account would be
        assert account in (ACCOUNT, "") or (service, account) == ("apigateway", "lambda"), arn


def test_the_partition_follows_the_region() -> None:
    """botocore's region data, no call made: the partition of each kind of region."""
    partitions = {
        region: tutorial.partition(Target(None, region))
        for region in ("us-east-1", "eu-west-3", "cn-north-1", "cn-northwest-1", "us-gov-west-1")
    }
    assert partitions == {
        "us-east-1": "aws",
        "eu-west-3": "aws",
        "cn-north-1": "aws-cn",
        "cn-northwest-1": "aws-cn",
        "us-gov-west-1": "aws-us-gov",
    }


def test_a_region_newer_than_botocore_asks_the_caller_identity(endpoint_url: str) -> None:
    """A region botocore does not know yet: the partition of the caller's identity ARN."""
    target = Target.local(endpoint_url, "xx-future-1")
    identity = target.client("sts").get_caller_identity()["Arn"]
    assert tutorial.partition(target) == identity.split(":")[1] == "aws"


def test_the_log_statement_names_the_china_partition(endpoint_url: str) -> None:
    """``tutorial.logs_statement``, used by notebooks 05 and 08."""
    statement = tutorial.logs_statement(Target.local(endpoint_url, CHINA), "fn")
    assert statement["Resource"] == [
        f"arn:aws-cn:logs:{CHINA}:{ACCOUNT}:log-group:/aws/lambda/fn",
        f"arn:aws-cn:logs:{CHINA}:{ACCOUNT}:log-group:/aws/lambda/fn:*",
    ]


def test_wiring_takes_the_partition_of_the_function(endpoint_url: str, unique: str) -> None:
    """``wslab.deploy.wiring``: the integration URI and API Gateway's invoke permission of a
    function created in cn-north-1 are in ``aws-cn``."""
    target = Target.local(endpoint_url, CHINA)
    role = target.client("iam").create_role(
        RoleName=f"partition-{unique}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
    )["Role"]["Arn"]
    lambda_ = target.client("lambda")
    function_arn = lambda_.create_function(
        FunctionName=f"partition-{unique}",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_sources({"app.py": "def handler(event, context):\n    return 1\n"})},
    )["FunctionArn"]
    assert function_arn.startswith(f"arn:aws-cn:lambda:{CHINA}:")
    assert integration_uri(CHINA, function_arn) == (
        f"arn:aws-cn:apigateway:{CHINA}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    allow_api_gateway(lambda_, function_arn, "abcdefghij")
    (statement,) = json.loads(lambda_.get_policy(FunctionName=function_arn)["Policy"])["Statement"]
    source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source_arn == f"arn:aws-cn:execute-api:{CHINA}:{ACCOUNT}:abcdefghij/*"


WRITTEN_OUT = "arn:aws:"
SOURCES = sorted([*ROOT.glob("src/wslab/notebook/**/*.py"), *ROOT.glob("src/wslab/deploy/**/*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_no_arn_is_written_out_for_one_partition_in_the_helpers(path: Path) -> None:
    """The helpers take the partition from the region or the function's ARN."""
    text = path.read_text(encoding="utf-8")
    assert WRITTEN_OUT not in text, f"{path.name}: {WRITTEN_OUT!r} written out"


SOLUTIONS = [ROOT / "docs" / "solutions.md", ROOT / "docs" / "zh" / "solutions.md"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=[str(p.relative_to(ROOT)) for p in SOLUTIONS])
def test_no_arn_is_written_out_for_one_partition_in_the_solutions(path: Path) -> None:
    """The solutions' code is typed into the notebooks: it builds ARNs as they do."""
    code = [code for section in sections(path) for code, _printed in section.steps]
    assert code and not [block for block in code if WRITTEN_OUT in block]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_no_arn_is_written_out_for_one_partition_in_the_notebooks(path: Path) -> None:
    """Code cells build ARNs with ``{partition}``. (AWS's own text, quoted in the prose or
    printed in the outputs, may say ``arn:aws:``: it came from ``us-east-1``.)"""
    for number, source in enumerate(_code_cells(path)):
        assert WRITTEN_OUT not in source, f"code cell {number} writes out {WRITTEN_OUT!r}"
