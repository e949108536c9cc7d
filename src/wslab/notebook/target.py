"""Where the notebooks' calls go: the local AWS, found or started, or an AWS account.

The local AWS is found on its port, or started in the background so that it outlives the
kernel and the next notebook sees the same tables; ``WSLAB_TARGET=aws`` sends the same calls
to a real account (region and credentials from the usual AWS configuration);
``WSLAB_ENDPOINT_URL`` points the notebooks at a local stack already running elsewhere (the
notebook tests start one on a free port and set it).

The local AWS a notebook starts keeps its state in a folder (:func:`state_dir`), so that a
restarted kernel, or a laptop that rebooted mid-class, finds the tables and functions the
earlier notebooks made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from botocore.exceptions import ClientError

from wslab.aws import LOCAL_REGION, Target, TargetError
from wslab.notebook.names import ENDPOINT_VARIABLE, TARGET_VARIABLE, TutorialError, names

__all__ = [
    "STATE_DIR_VARIABLE",
    "STATE_FOLDER",
    "start",
    "state_dir",
    "target_from_environment",
    "target_kind",
]

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


def start() -> Target:
    """The first cell of every notebook: check the names, choose the target and say which
    it is."""
    names()  # a bad WSLAB_PREFIX is refused here, before anything is made
    started: list[str] = []
    target = target_from_environment(ensure_local=_started_here(started))
    if target.is_local:
        print(f"Working on {target.describe()}.")
        print("Nothing here costs money; set WSLAB_TARGET=aws to run the same cells on AWS.")
        if started:
            print(
                f"This notebook started the local AWS: it keeps what you make in {state_dir()}, "
                "where a restarted kernel or computer finds it again (to start empty, stop it "
                "and delete that folder)."
            )
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
