"""No call that exists on one system only, anywhere in src/, outside ``wslab.local.platform``.

wslab runs on Linux, macOS and Windows: what differs between them (process groups,
signals, ``/proc``, file locks, ...) lives in ``src/wslab/local/platform.py``, with a branch
per system. This walks every module's syntax tree (and the Node.js bootstrap's text) and
names each such call found elsewhere, with the file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PLATFORM = SRC / "wslab" / "local" / "platform.py"
NODE_BOOTSTRAP = SRC / "wslab" / "local" / "runtime" / "nodejs"

# Modules that exist on one system only.
ONE_SYSTEM_MODULES = {
    "fcntl", "resource", "termios", "tty", "pty", "grp", "pwd", "posix", "syslog",
    "msvcrt", "winreg", "winsound", "_winapi",
}  # fmt: skip
# os, signal and select names that are POSIX-only, or whose meaning differs on Windows
# (os.kill there ends a process at once, whatever the signal).
ONE_SYSTEM_NAMES = {
    *(f"os.{name}" for name in (
        "kill", "killpg", "setsid", "getsid", "setpgid", "getpgid", "getpgrp", "setpgrp",
        "fork", "forkpty", "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid",
        "chown", "lchown", "chmod", "mkfifo", "uname", "nice", "sysconf", "statvfs",
        "getloadavg", "wait3", "wait4", "symlink", "WNOHANG", "set_blocking",
    )),
    *(f"signal.{name}" for name in (
        "SIGKILL", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGSTOP", "SIGCONT", "SIGCHLD",
        "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE", "SIGBREAK", "CTRL_BREAK_EVENT",
        "CTRL_C_EVENT", "pause", "alarm", "setitimer", "pthread_kill", "siginterrupt",
    )),
    "select.poll", "select.epoll", "select.kqueue", "ctypes.CDLL", "ctypes.WinDLL",
    "ctypes.windll", "subprocess.CREATE_NEW_PROCESS_GROUP", "subprocess.CREATE_NO_WINDOW",
}  # fmt: skip
# Methods that are POSIX-only whatever their object (the Proactor loop, Windows' default,
# has no signal handlers: https://docs.python.org/3/library/asyncio-platforms.html).
# Nor does it watch pipes (add_reader).
ONE_SYSTEM_METHODS = {
    "add_signal_handler", "remove_signal_handler", "add_reader", "remove_reader",
    "symlink_to", "chmod",
}  # fmt: skip
# subprocess.Popen's arguments for one system (its user= and group= too, left out here:
# those names are common elsewhere).
ONE_SYSTEM_KEYWORDS = {
    "start_new_session", "preexec_fn", "process_group", "pass_fds", "extra_groups", "umask",
    "restore_signals", "creationflags", "startupinfo",
}  # fmt: skip
ONE_SYSTEM_PATHS = ("/proc", "/dev/", "/tmp", "/sys/")


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def one_system_calls(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each one-system call in ``source``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ONE_SYSTEM_MODULES:
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in ONE_SYSTEM_MODULES:
                yield node.lineno, f"import {node.module}"
            for alias in node.names:
                if f"{node.module}.{alias.name}" in ONE_SYSTEM_NAMES:
                    yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted in ONE_SYSTEM_NAMES:
                yield node.lineno, dotted
            elif node.attr in ONE_SYSTEM_METHODS:
                yield node.lineno, f"method {node.attr}"
        elif isinstance(node, ast.keyword) and node.arg in ONE_SYSTEM_KEYWORDS:
            yield node.lineno, f"{node.arg}="
        elif isinstance(node, ast.Constant) and str(node.value).startswith(ONE_SYSTEM_PATHS):
            yield node.lineno, f"path {node.value!r}"


def _sources() -> Iterator[Path]:
    return (path for path in sorted(SRC.rglob("*.py")) if path != PLATFORM)


def test_one_system_calls_are_in_platform_py_only() -> None:
    found = [
        (str(path.relative_to(SRC)), line, what)
        for path in _sources()
        for line, what in one_system_calls(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "move these behind wslab.local.platform:\n" + "\n".join(
        f"  src/{path}:{line}: {what}" for path, line, what in found
    )


SAMPLE = """
import fcntl, subprocess, signal, os
from os import killpg
from resource import setrlimit
subprocess.Popen(["x"], start_new_session=True, preexec_fn=os.setsid)
os.killpg(1, signal.SIGKILL)
loop.add_signal_handler(signal.SIGINT, stop)
status = open("/proc/net/tcp").read()
"""


def test_the_walk_finds_each_kind_of_call() -> None:
    """The check itself: each kind it looks for, found where it is."""
    assert sorted(one_system_calls(SAMPLE)) == [
        (2, "import fcntl"),
        (3, "os.killpg"),
        (4, "import resource"),
        (5, "os.setsid"),
        (5, "preexec_fn="),
        (5, "start_new_session="),
        (6, "os.killpg"),
        (6, "signal.SIGKILL"),
        (7, "method add_signal_handler"),
        (8, "path '/proc/net/tcp'"),
    ]
    assert list(one_system_calls("os.getpid(); signal.signal(signal.SIGINT, f)")) == []


# Node.js: what POSIX-only looks like in JavaScript.
NODE_ONE_SYSTEM = re.compile(
    r"process\.kill\(|process\.(?:get|set)(?:e?uid|e?gid|groups)\b|['\"]SIG(?!INT\b)[A-Z]+['\"]"
    r"|['\"]/(?:proc|dev|tmp)/|detached\s*:\s*true|\.chmod(?:Sync)?\("
)


@pytest.mark.parametrize("path", sorted(NODE_BOOTSTRAP.glob("*.*js")), ids=lambda path: path.name)
def test_the_node_bootstrap_makes_no_posix_only_call(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [
        f"{n}: {line.strip()}" for n, line in enumerate(lines, 1) if NODE_ONE_SYSTEM.search(line)
    ]
    assert found == []


def test_the_node_pattern_finds_what_it_looks_for() -> None:
    posix_only = (
        "process.kill(pid, 'SIGTERM')",
        "fs.readFileSync('/proc/self/stat')",
        "spawn(cmd, {detached: true})",
        "process.getuid()",
        "fs.chmodSync(p, 0o755)",
    )
    for line in posix_only:
        assert NODE_ONE_SYSTEM.search(line), line
    assert not NODE_ONE_SYSTEM.search("process.on('SIGINT', stop); process.exit(1)")
