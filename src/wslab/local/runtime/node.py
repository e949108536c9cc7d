"""Node.js functions: the machine's ``node``, a bootstrap speaking the Runtime API, the SDK.

AWS's runtime interface client for Node.js (``aws-lambda-ric`` on npm) compiles curl and
aws-lambda-cpp from source when it is installed (cmake, autotools and a C++ compiler; its
version 4 also needs Node.js 22), which a learner's laptop often lacks. So an environment
runs ``nodejs/bootstrap.cjs`` instead: a small client of the documented Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) that loads the handler
and calls it as Lambda's Node.js runtimes do. ``nodejs/execute-api.cjs`` is preloaded
(``--require``) to send management API requests for this stack's APIs to the stack.

Lambda's Node.js runtimes (18 and later) include the AWS SDK for JavaScript v3, importable
from CommonJS and ES modules alike. Here it is the checkout's ``node_modules``, installed by
``npm ci`` from the project's package.json and package-lock.json (``make`` does it), or the
folder ``WSLAB_NODE_MODULES`` names. ES modules ignore ``NODE_PATH``, so the folder is also
linked as ``node_modules`` beside the unpacked code: Node's resolution, walking up from the
handler, finds the function's own ``node_modules`` first and the SDK after it, as on Lambda.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from wslab.local.platform import link_folder
from wslab.local.runtime.launch import Launch, RuntimeUnavailable

__all__ = [
    "BOOTSTRAP",
    "OLDEST_NODE",
    "PRELOAD",
    "SDK_VARIABLE",
    "installed_version",
    "launch_node",
    "sdk_modules",
]

_HERE = Path(__file__).resolve().parent
NODE_DIR = _HERE / "nodejs"
BOOTSTRAP = NODE_DIR / "bootstrap.cjs"
PRELOAD = NODE_DIR / "execute-api.cjs"
SDK_VARIABLE = "WSLAB_NODE_MODULES"
OLDEST_NODE = 18  # the bootstrap needs fetch and worker threads' Atomics.wait
_CHECKOUT = _HERE.parents[3]  # src/wslab/local/runtime -> the checkout, in a checkout


def sdk_modules() -> Path | None:
    """The ``node_modules`` holding ``@aws-sdk``, or None when it is not installed."""
    configured = os.environ.get(SDK_VARIABLE)
    folder = Path(configured) if configured else _CHECKOUT / "node_modules"
    return folder.resolve() if (folder / "@aws-sdk").is_dir() else None


@functools.cache
def installed_version(node: str) -> str:
    """What ``node --version`` prints, e.g. ``v20.11.1`` (empty when it prints nothing)."""
    answer = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return answer.stdout.strip()


def _major_version(node: str) -> int:
    try:
        return int(installed_version(node).lstrip("v").split(".")[0])
    except ValueError:
        return 0


def _link_sdk(code_dir: Path, sdk: Path) -> None:
    code_dir.mkdir(parents=True, exist_ok=True)
    link = code_dir / "node_modules"
    with contextlib.suppress(FileExistsError):  # linked by an earlier environment
        link_folder(link, sdk)


def launch_node(
    runtime: str, major: int, task_root: Path, inspector_port: int | None = None
) -> Launch:
    """How to start an environment of a ``nodejs<major>.x`` function; with its inspector
    listening on 127.0.0.1:``inspector_port`` when one is given (``wslab local --debug``)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeUnavailable(
            f"wslab local runs {runtime} functions with Node.js and found no `node` on its "
            f"PATH: install Node.js {major} (https://nodejs.org/) and start wslab local again"
        )
    local = _major_version(node)
    if local < OLDEST_NODE:
        raise RuntimeUnavailable(
            f"wslab local runs {runtime} functions with Node.js {OLDEST_NODE} or later, and "
            f"{node} is version {local}: install Node.js {major} (https://nodejs.org/)"
        )
    notices = []
    if local < major:
        notices.append(
            f"wslab local: this {runtime} function runs on the local Node.js {local}, "
            "older than its runtime"
        )
    sdk = sdk_modules()
    if sdk is None:
        notices.append(
            "wslab local: the AWS SDK for JavaScript v3 is not installed, so @aws-sdk/* "
            f"imports fail: run `npm ci` in the wslab checkout, or set {SDK_VARIABLE}"
        )
    else:
        _link_sdk(task_root.parent, sdk)
    paths = [str(sdk)] if sdk else []
    environment = {
        "NODE_PATH": os.pathsep.join([*paths, str(NODE_DIR), str(task_root)]),
        "LAMBDA_RUNTIME_DIR": str(NODE_DIR),
    }
    inspect = () if inspector_port is None else (f"--inspect=127.0.0.1:{inspector_port}",)
    # parent.py ties the process to the stack's life, then becomes node.
    command = (
        sys.executable,
        "-I",
        "-S",
        str(_HERE / "parent.py"),
        node,
        *inspect,
        "--require",
        str(PRELOAD),
        str(BOOTSTRAP),
    )
    return Launch(command, environment, "\n".join(notices))
