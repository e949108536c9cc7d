"""What the notebooks in ``notebooks/`` share but do not teach, in one name to import.

Every notebook opens with::

    from wslab.notebook import tutorial
    aws = tutorial.start()

and then makes its boto3 calls on ``aws.client("dynamodb")`` and friends, exactly the calls a
learner would type against AWS. This module gathers what helps with the rest:

- **where** the calls go (:mod:`wslab.notebook.target`);
- **names**, all from one prefix (:mod:`wslab.notebook.names`): ``tutorial.PREFIX``,
  ``tutorial.CONNECTIONS_TABLE``, ... are read from the environment when first used, not at
  import, so a bad ``WSLAB_PREFIX`` is one clear error in the first cell;
- **waiting** for frames, log lines, roles (:mod:`wslab.notebook.waits`);
- **order** between notebooks and the steps an earlier one taught
  (:mod:`wslab.notebook.steps`);
- **the learner's own code**: a folder run with hot reload, edited
  (:mod:`wslab.notebook.own_code`);
- **cleanup**: what is left (:mod:`wslab.notebook.cleanup`);
- **logs**: where the background local AWS writes its output (:mod:`wslab.notebook.target`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wslab.aws import LAMBDA_TRUST_POLICY, LOCAL_REGION, Target
from wslab.deploy import project
from wslab.notebook.cleanup import leftovers, owns
from wslab.notebook.names import (
    DEFAULT_PREFIX,
    ENDPOINT_VARIABLE,
    PREFIX_VARIABLE,
    STAGE,
    TARGET_VARIABLE,
    TutorialError,
    names,
    prefix_from_environment,
    tag_list,
)
from wslab.notebook.own_code import edit_code, function_code
from wslab.notebook.page import chat_page
from wslab.notebook.steps import (
    STEPS,
    Step,
    create_or_update_function,
    find_api,
    lambda_role,
    logs_statement,
    management_url,
    require,
    role_boundary,
    run_notebook,
)
from wslab.notebook.target import (
    local_log,
    partition,
    start,
    target_from_environment,
    target_kind,
)
from wslab.notebook.waits import (
    let_deployment_settle,
    receive_json,
    receive_text,
    receive_until,
    wait_for_log_lines,
    wait_until,
    when_role_is_ready,
)

__all__ = [
    "API_NAME",
    "CHAT_FUNCTIONS",
    "CONNECTIONS_TABLE",
    "DEFAULT_PREFIX",
    "ENDPOINT_VARIABLE",
    "HISTORY_TABLE",
    "LAMBDA_SRC",
    "LAMBDA_TRUST_POLICY",
    "LOCAL_REGION",
    "NOTEBOOKS",
    "PREFIX",
    "PREFIX_VARIABLE",
    "SAMPLE_EVENTS",
    "STACK_NAME",
    "STAGE",
    "STEPS",
    "TAGS",
    "TARGET_VARIABLE",
    "TEMPLATE",
    "Step",
    "Target",
    "TutorialError",
    "chat_page",
    "create_or_update_function",
    "edit_code",
    "find_api",
    "function_code",
    "lambda_role",
    "leftovers",
    "let_deployment_settle",
    "local_log",
    "logs_statement",
    "management_url",
    "names",
    "owns",
    "partition",
    "prefix_from_environment",
    "receive_json",
    "receive_text",
    "receive_until",
    "require",
    "role_boundary",
    "run_notebook",
    "start",
    "tag_list",
    "target_from_environment",
    "target_kind",
    "wait_for_log_lines",
    "wait_until",
    "when_role_is_ready",
]

if TYPE_CHECKING:  # what __getattr__ below answers
    PREFIX: str
    TAGS: Mapping[str, str]
    CONNECTIONS_TABLE: str
    HISTORY_TABLE: str
    API_NAME: str
    STACK_NAME: str
    CHAT_FUNCTIONS: Mapping[str, str]
    NOTEBOOKS: Path
    LAMBDA_SRC: Path
    SAMPLE_EVENTS: Path
    TEMPLATE: Path

# Names read when first used (PEP 562), each from the environment or the checkout as it is
# then: the prefix's names, and where the project's files are.
_NAMED = {
    "PREFIX": "prefix",
    "TAGS": "tags",
    "CONNECTIONS_TABLE": "connections_table",
    "HISTORY_TABLE": "history_table",
    "API_NAME": "api_name",
    "STACK_NAME": "stack_name",
    "CHAT_FUNCTIONS": "chat_functions",
}
_FILES = {
    "NOTEBOOKS": project.notebooks,
    "LAMBDA_SRC": project.lambda_src,
    "SAMPLE_EVENTS": project.sample_events,
    "TEMPLATE": project.template,
}


def __getattr__(name: str) -> Any:
    if name in _NAMED:
        return getattr(names(), _NAMED[name])
    if name in _FILES:
        found: Path = _FILES[name]()
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
