"""Where the notebooks' calls go: the local AWS, found or started, or an AWS account.

The local AWS is found on its port, or started in the background so that it outlives the
kernel and the next notebook sees the same tables; ``WSLAB_TARGET=aws`` sends the same calls
to a real account (region and credentials from the usual AWS configuration);
``WSLAB_ENDPOINT_URL`` points the notebooks at a local stack already running elsewhere (the
notebook tests start one on a free port and set it).

A stack started by a notebook has no terminal: everything it prints, the handlers' lines
among them, goes to a file in the system's temporary folder (``background_log_path``);
:func:`local_log` says which, and names ``wslab logs``, which reads one function's log from
CloudWatch Logs instead (on AWS too).

The local AWS a notebook starts keeps its state in a folder (:func:`state_dir`), so that a
restarted kernel, or a laptop that rebooted mid-class, finds the tables and functions the
earlier notebooks made.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError, UnknownRegionError

from wslab.aws import LOCAL_REGION, Target, TargetError
from wslab.local.defaults import DEFAULT_PORT
from wslab.notebook.names import ENDPOINT_VARIABLE, TARGET_VARIABLE, TutorialError, names

__all__ = [
    "LOGS_COMMAND",
    "STATE_DIR_VARIABLE",
    "STATE_FOLDER",
    "background_log_notice",
    "commands_on_path",
    "local_log",
    "partition",
    "start",
    "state_dir",
    "target_from_environment",
    "target_kind",
]

LOGS_COMMAND = "wslab logs <function>"
# A file written before the stack now on the port started belongs to an earlier one.
_CLOCK_SLACK_S = 5.0

STATE_DIR_VARIABLE = "WSLAB_STATE_DIR"
STATE_FOLDER = ".wslab-state"
"""The state folder's name, in the project's checkout (git ignores it)."""


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the local AWS the notebooks start keeps its state: ``WSLAB_STATE_DIR``, or
    ``.wslab-state`` in the project's checkout (in the current folder for an installed
    package)."""
    env = os.environ if environ is None else environ
    chosen = env.get(STATE_DIR_VARIABLE, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    from wslab.deploy.project import checkout_root

    return (checkout_root() or Path.cwd()) / STATE_FOLDER


def target_kind(environ: Mapping[str, str] | None = None) -> str:
    """``"local"`` or ``"aws"``, as ``WSLAB_TARGET`` says (local when unset)."""
    env = os.environ if environ is None else environ
    kind = env.get(TARGET_VARIABLE, "local").strip().lower() or "local"
    if kind not in ("local", "aws"):
        raise TutorialError(f"WSLAB_TARGET must be 'local' or 'aws', not {kind!r}.")
    return kind


def target_from_environment(
    environ: Mapping[str, str] | None = None,
    ensure_local: Callable[[], str] | None = None,
) -> Target:
    """The target ``WSLAB_TARGET`` names; the local stack is found or started."""
    env = os.environ if environ is None else environ
    if target_kind(env) == "aws":
        try:
            return Target.aws()
        except TargetError as error:
            raise TutorialError(f"WSLAB_TARGET=aws, but {error}.") from None
    from wslab.local.process import loopback_without_proxy

    loopback_without_proxy()  # the local AWS is never behind a proxy
    endpoint = env.get(ENDPOINT_VARIABLE)
    if not endpoint:
        if ensure_local is None:
            from wslab.local.process import ensure_running

            ensure_local = ensure_running
        endpoint = ensure_local()
    return Target.local(endpoint, LOCAL_REGION)


def _started_here(started: list[str]) -> Callable[[], str]:
    """``ensure_running``, noting in ``started`` when no stack answered and it started one."""

    def ensure_local() -> str:
        from wslab.local.process import ensure_running, health

        fresh = health() is None
        endpoint = ensure_running(state_dir=state_dir())
        if fresh:
            started.append(endpoint)
        return endpoint

    return ensure_local


def partition(target: Target) -> str:
    """The ARN partition of the target's region: ``aws``, ``aws-cn`` (Beijing, Ningxia),
    ``aws-us-gov`` (GovCloud), ...: the first field after ``arn:`` in every ARN built there.

    botocore's partition data knows every region it was released with; a region newer than
    the installed botocore is asked of the caller's identity, whose ARN carries it."""
    try:
        return str(boto3.Session().get_partition_for_region(target.region))
    except UnknownRegionError:
        return str(target.client("sts").get_caller_identity()["Arn"]).split(":")[1]


def commands_on_path(environ: MutableMapping[str, str] | None = None) -> None:
    """Put the kernel's own ``bin`` folder first on ``PATH``, as a terminal with the virtual
    environment activated has it: then ``!wslab logs ...`` in a cell runs this ``wslab``.
    JupyterLab started as ``.venv/bin/jupyter`` (``make lab``) does not put it there."""
    env = os.environ if environ is None else environ
    bin_dir = str(Path(sys.executable).parent)
    folders = [folder for folder in env.get("PATH", "").split(os.pathsep) if folder]
    if bin_dir not in folders:
        env["PATH"] = os.pathsep.join([bin_dir, *folders])


def _in_a_kernel() -> bool:
    """Whether this is a Jupyter kernel (a cell's ``!command`` runs in a shell of it): only
    there does ``start`` change ``PATH``, not in a script or a test run that imports it."""
    return "ipykernel" in sys.modules


def start() -> Target:
    """The first cell of every notebook: check the names, choose the target and say which
    it is."""
    names()  # a bad WSLAB_PREFIX is refused here, before anything is made
    if _in_a_kernel():
        commands_on_path()
    started: list[str] = []
    target = target_from_environment(ensure_local=_started_here(started))
    if target.is_local:
        print(f"Working on {target.describe()}.")
        print("Nothing here costs money; set WSLAB_TARGET=aws to run the same cells on AWS.")
        if started:
            from wslab.local.process import background_log_path

            print(
                f"This notebook started the local AWS: it keeps what you make in {state_dir()}, "
                "where a restarted kernel or computer finds it again (to start empty, stop it "
                "and delete that folder)."
            )
            print(background_log_notice(background_log_path()))
        return target
    try:
        where = target.describe()
    except ClientError as error:
        raise TutorialError(f"WSLAB_TARGET=aws, but AWS refused: {error}") from None
    except Exception as error:  # NoCredentialsError and friends
        raise TutorialError(
            f"WSLAB_TARGET=aws, but no usable AWS credentials were found ({error})."
        ) from None
    print(f"Working on {where}.")
    print(
        "WARNING: these notebooks create real, billable resources in this account "
        "(a few cents for the whole tutorial if you clean up). Run 99_cleanup.ipynb when "
        "you are done."
    )
    return target


def background_log_notice(log_file: Path) -> str:
    return (
        f"Its output, with what the handlers print, goes to {log_file}; read one function's "
        f"log with `{LOGS_COMMAND}` (`-f` to follow, `--all` for every function)."
    )


def _port(environ: Mapping[str, str]) -> int:
    endpoint = environ.get(ENDPOINT_VARIABLE) or environ.get("AWS_ENDPOINT_URL")
    return (urlsplit(endpoint).port if endpoint else None) or DEFAULT_PORT


def local_log(environ: Mapping[str, str] | None = None) -> Path | None:
    """Print where the local AWS's output is, and return its file: None when the stack was
    not started by the notebooks (its output is in the terminal that started it), or the
    target is AWS (CloudWatch Logs in the console, or ``wslab logs --aws``)."""
    env = os.environ if environ is None else environ
    if target_kind(env) == "aws":
        print(f"On AWS the functions' logs are in CloudWatch Logs: `{LOGS_COMMAND} --aws`.")
        return None
    from wslab.local.process import background_log_path, health

    port = _port(env)
    found = health(port)
    log_file: Path = background_log_path(port)
    started_at = time.time() - float(found["uptime_s"]) if found else None
    if (
        started_at is not None
        and log_file.is_file()
        and log_file.stat().st_mtime >= started_at - _CLOCK_SLACK_S
    ):
        print(f"The local AWS on port {port} was started by a notebook.")
        print(background_log_notice(log_file))
        return log_file
    if found is None:
        print(f"No local AWS answers on port {port}: tutorial.start() starts one.")
        return None
    print(
        f"The local AWS on port {port} was not started by a notebook: its output is in "
        f"the terminal that started it. `{LOGS_COMMAND}` reads a function's log."
    )
    return None
