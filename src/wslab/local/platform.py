"""Every call that differs between Linux, macOS and Windows, each with a branch per system.

Process groups, signals, tying a worker's life to the stack's, file locks, who holds a
port: elsewhere, wslab calls these functions and nothing POSIX-only
(tests/test_platform_calls.py keeps it so). Each function picks its branch from
``sys.platform`` when it is called, and takes ``system`` to force one: every branch is
importable everywhere, and the pure parts of the Windows and macOS branches (command lines,
flags, parsing what a tool printed) are tested on Linux.

Standard library only: a worker started as ``python -I -S parent.py`` loads this file by its
path, where the wslab package cannot be imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path
    from typing import IO, Any

# Other modules are imported where they are used: a Node.js worker loads this file before
# it starts, and on Linux needs only the few above (each import delays its first request).

__all__ = [
    "CREATE_NEW_PROCESS_GROUP",
    "JOBOBJECT_EXTENDED_LIMIT_INFORMATION",
    "PortHolder",
    "ask_to_stop",
    "bind_as_a_server",
    "child_pids_from_table",
    "command_line",
    "descendants",
    "describe_machine",
    "follow_pipe",
    "kill_group",
    "kill_tree_command",
    "kill_with_this_process",
    "link_folder",
    "on_stop_signals",
    "own_group",
    "own_session",
    "port_holder",
    "read_available",
    "run_tied_to_parent",
    "script_path",
    "set_variable_command",
    "stop_signals",
    "stoppable",
    "tie_to_parent",
    "try_lock",
]

WINDOWS = "win32"
LINUX = "linux"
MACOS = "darwin"

# Windows' values, which subprocess and signal define on Windows only.
CREATE_NEW_PROCESS_GROUP = 0x00000200
_CTRL_BREAK_EVENT = 1
_SIGBREAK = 21
_JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
_PROCESS_SET_QUOTA = 0x0100
_PROCESS_TERMINATE = 0x0001
_SYNCHRONIZE = 0x00100000
_INFINITE = 0xFFFFFFFF
# Linux's prctl option: deliver a signal to this process when its parent dies.
_PR_SET_PDEATHSIG = 1
_PARENT_POLL_S = 0.5


def _system(system: str | None) -> str:
    return sys.platform if system is None else system


def _windows(system: str | None) -> bool:
    return _system(system) == WINDOWS


# Starting and stopping processes ------------------------------------------------------


def own_group(system: str | None = None) -> dict[str, Any]:
    """``Popen`` options that start a child in a process group of its own: a Ctrl-C in the
    terminal does not reach it (its parent stops it), and :func:`kill_group` and
    :func:`ask_to_stop` reach it and what it starts."""
    if _windows(system):
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"process_group": 0}


def own_session(system: str | None = None) -> dict[str, Any]:
    """``Popen`` options for a child that outlives its caller's terminal: on POSIX a
    session of its own (no SIGHUP when the terminal closes); on Windows, where closing a
    console ends what is attached to it, a process group of its own only
    [UNCONFIRMED: whether a child started from a Jupyter kernel keeps running once the
    kernel's console closes]."""
    if _windows(system):
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def stoppable(own_terminal_session: bool, system: str | None = None) -> dict[str, Any]:
    """``Popen`` options for a child that :func:`ask_to_stop` can stop cleanly.
    ``own_terminal_session``: one that a Ctrl-C in the terminal does not reach either.
    (On Windows, Ctrl-Break reaches only a process group's leader, so every such child
    leads its own group.)"""
    if _windows(system):
        return own_group(system)
    return own_session(system) if own_terminal_session else {}


def kill_tree_command(pid: int) -> list[str]:
    """Windows' command that kills a process and every process it started."""
    return ["taskkill", "/T", "/F", "/PID", str(pid)]


def kill_group(leader: int, system: str | None = None) -> None:
    """Kill, at once, the process ``leader`` (started with :func:`own_group` or
    :func:`own_session`) and what it started. Nothing if it is gone."""
    if _windows(system):
        import subprocess

        subprocess.run(kill_tree_command(leader), capture_output=True, check=False)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


def ask_to_stop(pid: int, system: str | None = None) -> None:
    """Ask a process to stop and clean up: SIGTERM on POSIX; on Windows CTRL_BREAK_EVENT,
    which reaches a process started with :func:`own_group` that shares this console
    (https://docs.python.org/3/library/os.html#os.kill). Nothing if it is gone; the caller
    kills it if it does not stop in time."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, _CTRL_BREAK_EVENT if _windows(system) else signal.SIGTERM)


# Signals that stop wslab --------------------------------------------------------------


def stop_signals(system: str | None = None) -> tuple[int, ...]:
    """The signals that ask wslab to stop: Ctrl-C, SIGTERM, and on Windows Ctrl-Break (what
    :func:`ask_to_stop` sends)."""
    found: list[int] = [signal.SIGINT, signal.SIGTERM]
    if _windows(system):
        found.append(int(getattr(signal, "SIGBREAK", _SIGBREAK)))
    return tuple(found)


def on_stop_signals(
    loop: Any, callback: Callable[[], None], system: str | None = None
) -> Callable[[], None]:
    """Call ``callback`` in ``loop`` when a stop signal arrives. Returns what undoes it.

    Windows' Proactor loop has no ``add_signal_handler``
    (https://docs.python.org/3/library/asyncio-platforms.html#windows): there the handler is
    Python's, run in the main thread, and hands the call to the loop."""
    signums = stop_signals(system)
    if _windows(system):
        previous = {
            signum: signal.signal(signum, lambda *_: loop.call_soon_threadsafe(callback))
            for signum in signums
            if signum != _SIGBREAK or hasattr(signal, "SIGBREAK")  # forced on another system
        }

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore
    for signum in signums:
        loop.add_signal_handler(signum, callback)

    def remove() -> None:
        for signum in signums:
            loop.remove_signal_handler(signum)

    return remove


# A worker's life tied to the stack's --------------------------------------------------


def tie_to_parent(parent_pid: int | None, system: str | None = None) -> bool:
    """End this process when its parent, ``parent_pid``, ends, however it ends (SIGKILL
    too). Returns whether the tie survives ``exec``.

    Linux: the kernel does it (``prctl(PR_SET_PDEATHSIG)``, which survives ``exec``).
    macOS has no such call: a thread notices the parent's end (this process is then
    re-parented, ``getppid`` changes). Windows: a thread waits on the parent's handle; the
    stack also puts each worker in a job that ends with it (:func:`kill_with_this_process`).
    """
    name = _system(system)
    if name == LINUX:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if parent_pid is not None and os.getppid() != parent_pid:
            os._exit(1)  # the parent died before the request above took effect
        return True
    if parent_pid is not None:
        watch_parent(parent_pid, lambda: os._exit(1), name)
    return False


def watch_parent(parent_pid: int, on_gone: Callable[[], None], system: str | None = None) -> None:
    """Call ``on_gone`` from a daemon thread once ``parent_pid`` is no longer this process's
    parent (at once if it already is not)."""
    import threading

    if _windows(system):
        target: Callable[[], None] = lambda: _wait_for_exit_windows(parent_pid)  # noqa: E731
    else:

        def target() -> None:
            while os.getppid() == parent_pid:
                threading.Event().wait(_PARENT_POLL_S)

    def watch() -> None:
        target()
        on_gone()

    threading.Thread(target=watch, name="wslab-parent-watch", daemon=True).start()


def _kernel32() -> Any:  # pragma: no cover - Windows
    return ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]


def _wait_for_exit_windows(pid: int) -> None:  # pragma: no cover - Windows
    kernel32 = _kernel32()
    handle = kernel32.OpenProcess(_SYNCHRONIZE, False, pid)
    if not handle:
        return  # gone already
    kernel32.WaitForSingleObject(handle, _INFINITE)
    kernel32.CloseHandle(handle)


def run_tied_to_parent(
    argv: Sequence[str], parent_pid: int | None, system: str | None = None
) -> None:
    """Become ``argv`` (a worker in another language), tied to ``parent_pid``'s life.

    On Linux, where the tie survives ``exec``, this process is replaced by ``argv``.
    Elsewhere it runs ``argv`` as its child and exits with its status; when the parent
    ends, the watch kills the child, then this process."""
    if _system(system) == LINUX:
        tie_to_parent(parent_pid, LINUX)
        os.execv(argv[0], list(argv))
    import subprocess

    child = subprocess.Popen(list(argv))

    def end_both() -> None:
        child.kill()
        os._exit(1)

    if parent_pid is not None:
        watch_parent(parent_pid, end_both, system)
    sys.exit(child.wait())


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):  # Windows' name
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class _IO_COUNTERS(ctypes.Structure):  # Windows' name
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class JOBOBJECT_EXTENDED_LIMIT_INFORMATION(ctypes.Structure):  # Windows' name
    """https://learn.microsoft.com/en-us/windows/win32/api/winnt/ns-winnt-jobobject_extended_limit_information
    (fixed-width fields: the layout is Windows' on any 64-bit system, so it is tested here)."""

    _fields_ = [
        ("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION),
        ("IoInfo", _IO_COUNTERS),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def kill_on_close_limits() -> JOBOBJECT_EXTENDED_LIMIT_INFORMATION:
    """A job's limits: its processes are killed when its last handle closes, which the
    system does when the process holding it (the stack) ends, however it ends."""
    limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION()
    limits.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    return limits


_job: list[int] = []  # this process's job handle, created on first use (Windows)


def kill_with_this_process(pid: int, system: str | None = None) -> None:
    """Windows: put the process ``pid`` (and what it starts from now on) in a job that the
    system ends when this process ends. Elsewhere nothing: the worker ties itself
    (:func:`tie_to_parent`). Called from the stack's event loop only (no lock)."""
    if not _windows(system):
        return
    _assign_to_job(pid)  # pragma: no cover - Windows


def _assign_to_job(pid: int) -> None:  # pragma: no cover - Windows
    kernel32 = _kernel32()
    if not _job:
        job = kernel32.CreateJobObjectW(None, None)
        limits = kill_on_close_limits()
        if not job or not kernel32.SetInformationJobObject(
            job,
            _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
            ctypes.byref(limits),
            ctypes.sizeof(limits),
        ):
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]
        _job.append(job)
    process = kernel32.OpenProcess(_PROCESS_SET_QUOTA | _PROCESS_TERMINATE, False, pid)
    if not process:
        return  # gone already
    try:
        kernel32.AssignProcessToJobObject(_job[0], process)
    finally:
        kernel32.CloseHandle(process)


# Commands printed for the learner -------------------------------------------------------


def script_path(scripts_dir: Path, name: str, system: str | None = None) -> Path:
    """The console script ``name`` that pip installs in ``scripts_dir`` (the folder of the
    environment's interpreter: ``.venv/bin``, or ``.venv\\Scripts`` on Windows, where
    it is an ``.exe``)."""
    return scripts_dir / (f"{name}.exe" if _windows(system) else name)


def command_line(words: Sequence[str], system: str | None = None) -> str:
    """``words`` quoted for the system's shell: POSIX quoting, or on Windows the rules of
    its C runtime, which cmd.exe and PowerShell hand programs their arguments by
    (https://learn.microsoft.com/en-us/cpp/c-language/parsing-c-command-line-arguments)."""
    if _windows(system):
        import subprocess

        return subprocess.list2cmdline(list(words))
    import shlex

    return shlex.join(words)


def set_variable_command(name: str, value: str, system: str | None = None) -> str:
    """How to set an environment variable in the system's usual shell: POSIX shells'
    ``export``, or PowerShell's (Windows Terminal's default) ``$env:``."""
    if _windows(system):
        return f'$env:{name}="{value}"'
    return f"export {name}={value}"


def describe_machine(system: str | None = None) -> str:
    """The operating system and processor as a learner would name them, e.g. ``macOS arm64``,
    ``Windows AMD64`` or ``Linux x86_64 (WSL2)``: WSL's kernel names Microsoft."""
    import platform
    from pathlib import Path

    name = _system(system)
    shown = {MACOS: "macOS", WINDOWS: "Windows", LINUX: "Linux"}.get(name, name)
    described = f"{shown} {platform.machine()}"
    if name == LINUX:
        try:
            kernel = Path("/proc/sys/kernel/osrelease").read_text().lower()
        except OSError:
            kernel = ""
        if "microsoft" in kernel:
            described += " (WSL2)" if "wsl2" in kernel else " (WSL)"
    return described


# Reading a child's output in the event loop ------------------------------------------

_PIPE_POLL_S = 0.02


def follow_pipe(
    loop: Any, fd: int, on_readable: Callable[[], None], system: str | None = None
) -> Callable[[], None]:
    """Call ``on_readable`` in ``loop`` when the pipe ``fd`` has data or has closed (read it
    with :func:`read_available`). Returns what stops it.

    POSIX: the loop watches the pipe. Windows' loops watch no pipe
    (https://docs.python.org/3/library/asyncio-platforms.html#windows): a thread looks into
    it every 20 ms without reading (``PeekNamedPipe``), and the loop reads."""
    if not _windows(system):
        os.set_blocking(fd, False)
        loop.add_reader(fd, on_readable)
        return lambda: loop.remove_reader(fd)
    import threading  # pragma: no cover - Windows

    stopped = threading.Event()  # pragma: no cover - Windows

    def watch() -> None:  # pragma: no cover - Windows
        while not stopped.is_set():
            waiting = _pipe_holds(fd)
            if waiting != 0:
                loop.call_soon_threadsafe(on_readable)
            if waiting is None:
                return
            stopped.wait(_PIPE_POLL_S)

    threading.Thread(target=watch, name="wslab-pipe", daemon=True).start()  # pragma: no cover
    return stopped.set  # pragma: no cover - Windows


def _pipe_holds(fd: int) -> int | None:  # pragma: no cover - Windows
    """How many bytes the pipe ``fd`` holds; None once its writer has closed it."""
    import _winapi
    import msvcrt

    try:
        handle = msvcrt.get_osfhandle(fd)  # type: ignore[attr-defined,unused-ignore]
        return int(_winapi.PeekNamedPipe(handle, 0)[0])  # type: ignore[attr-defined,unused-ignore]
    except OSError:
        return None


def read_available(fd: int, system: str | None = None) -> bytes | None:
    """What the pipe ``fd`` (followed with :func:`follow_pipe`) holds, without waiting: None
    if nothing yet, ``b""`` once its writer has closed it."""
    if not _windows(system):
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            return None
    waiting = _pipe_holds(fd)  # pragma: no cover - Windows
    if waiting is None:  # pragma: no cover - Windows
        return b""
    return os.read(fd, min(waiting, 65536)) if waiting else None  # pragma: no cover


# Files -------------------------------------------------------------------------------


def try_lock(handle: IO[str], system: str | None = None) -> bool:
    """Take an exclusive lock on an open file without waiting: False if another process
    holds it. The system releases it when its process ends, however it ends."""
    try:
        if _windows(system):  # pragma: no cover - Windows
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def link_folder(link: Path, target: Path, system: str | None = None) -> None:
    """Make ``link`` name the folder ``target``. A symbolic link; on Windows, where one
    needs Developer Mode or an administrator, a junction when the symbolic link is refused
    (https://learn.microsoft.com/en-us/windows/win32/fileio/hard-links-and-junctions)."""
    try:
        os.symlink(target, link, target_is_directory=True)
    except OSError as refused:
        if not _windows(system) or isinstance(refused, FileExistsError):
            raise
        import _winapi  # pragma: no cover - Windows

        _winapi.CreateJunction(str(target), str(link))  # type: ignore[attr-defined,unused-ignore]


# Ports ---------------------------------------------------------------------------------


def bind_as_a_server(
    probe: socket.socket, address: tuple[str, int], system: str | None = None
) -> None:
    """Bind ``probe`` as wslab local binds its port, to learn whether it could.

    On POSIX with SO_REUSEADDR, which asyncio's servers set there: a port left in TIME_WAIT
    by a stopped stack is free. Not on Windows, where SO_REUSEADDR lets a socket bind a port
    another one listens on (https://learn.microsoft.com/en-us/windows/win32/winsock/using-so-reuseaddr-and-so-exclusiveaddruse)
    and asyncio does not set it."""
    import socket

    if not _windows(system):
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(address)


class PortHolder:
    """A process that listens on a port. (Not a dataclass: see the imports above.)"""

    __slots__ = ("command", "pid", "stopped")

    def __init__(self, pid: int, command: str, stopped: bool = False) -> None:
        self.pid, self.command, self.stopped = pid, command, stopped

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortHolder) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"PortHolder({self.pid!r}, {self.command!r}, stopped={self.stopped!r})"

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command[:60]}){', which is stopped' if self.stopped else ''}"

    def remedy(self, system: str | None = None) -> str:
        """The command that ends it."""
        if _windows(system):
            return f"taskkill /PID {self.pid} /F"
        if self.stopped:  # SIGTERM waits while a process is stopped
            return f"kill -CONT {self.pid} to resume it, or kill -9 {self.pid}"
        return f"kill {self.pid}"


def port_holder(port: int, system: str | None = None) -> PortHolder | None:
    """Who listens on ``port``, among the processes this user may look into; None if
    unknown. Linux: ``/proc``; macOS: ``lsof``; Windows: ``netstat`` and ``tasklist``."""
    name = _system(system)
    if name == WINDOWS:
        pid = listening_pid_from_netstat(_output(["netstat", "-ano"]), port)
        if pid is None:
            return None
        listed = _output(["tasklist", "/FI", f"PID eq {pid}", "/FO", "CSV", "/NH"])
        return PortHolder(pid, command_from_tasklist(listed) or "?")
    if name == LINUX:
        return _holder_from_proc(port)
    return holder_from_lsof(
        _output(["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-Fpc"]),
        lambda pid: _output(["ps", "-o", "stat=", "-p", str(pid)]).startswith("T"),
    )


def _output(command: list[str]) -> str:
    """What ``command`` printed, or nothing if it cannot run."""
    import subprocess

    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def listening_pid_from_netstat(printed: str, port: int) -> int | None:
    """The pid listening on ``port`` in ``netstat -ano``'s output (Windows). A listening
    row's foreign address is ``0.0.0.0:0`` or ``[::]:0``; its state column is a word
    translated with Windows' language, so it is not read."""
    for row in printed.splitlines():
        fields = row.split()
        listening = len(fields) == 5 and fields[2] in ("0.0.0.0:0", "[::]:0")
        if listening and fields[0] == "TCP" and fields[1].rpartition(":")[2] == str(port):
            return int(fields[4]) if fields[4].isdigit() else None
    return None


def command_from_tasklist(printed: str) -> str | None:
    """The image name in ``tasklist /FO CSV /NH``'s one row (``"python.exe","1234",...``)."""
    row = printed.strip().splitlines()[:1]
    if not row or not row[0].startswith('"'):
        return None  # "INFO: No tasks are running..."
    return row[0].split('","')[0].strip('"')


def holder_from_lsof(printed: str, is_stopped: Callable[[int], bool]) -> PortHolder | None:
    """The first process in ``lsof -F pc``'s output: ``p<pid>`` then ``c<command>``."""
    pid: int | None = None
    for line in printed.splitlines():
        if line.startswith("p") and line[1:].isdigit():
            pid = int(line[1:])
        elif line.startswith("c") and pid is not None:
            return PortHolder(pid, line[1:], is_stopped(pid))
    return None


def _holder_from_proc(port: int) -> PortHolder | None:
    from pathlib import Path

    wanted = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[1].endswith(wanted) and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for process in _proc_processes() if inodes else ():
        try:
            if not _socket_links(process / "fd") & inodes:
                continue
            command = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            status = (process / "status").read_text()
        except OSError:
            continue
        return PortHolder(int(process.name), command, _stopped_in(status.splitlines()))
    return None


def _socket_links(fds: Path) -> set[str]:
    """What a process's open files are (``socket:[inode]`` for a socket). One that closes
    meanwhile is skipped: listing its own folder opens and closes one in this process."""
    links = set()
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            links.add(os.readlink(fd))
    return links


def _proc_processes() -> Iterable[Path]:
    from pathlib import Path

    return (path for path in Path("/proc").iterdir() if path.name.isdigit())


def _stopped_in(status: Iterable[str]) -> bool:
    return any(line.split()[1:2] == ["T"] for line in status if line.startswith("State:"))


def descendants(pid: int, system: str | None = None) -> list[int]:
    """The processes ``pid`` started, and theirs, now: a stack's execution environments
    (Linux: ``/proc``; macOS: ``ps``; Windows: the CIM process table, via PowerShell)."""
    if _windows(system):  # pragma: no cover - Windows
        printed = _output(
            [
                "powershell",
                "-NoProfile",
                "-Command",
                "Get-CimInstance Win32_Process | ForEach-Object "
                '{ "$($_.ProcessId) $($_.ParentProcessId)" }',
            ]
        )
        return child_pids_from_table(printed, pid)
    if _system(system) == LINUX:
        return child_pids_from_table("\n".join(_proc_parent_rows()), pid)
    return child_pids_from_table(_output(["ps", "-A", "-o", "pid=,ppid="]), pid)


def _proc_parent_rows() -> Iterable[str]:
    for process in _proc_processes():
        try:
            stat = (process / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # pid (command) state ppid ...: the command may hold spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1:
            yield f"{process.name} {fields[1]}"


def child_pids_from_table(printed: str, root: int) -> list[int]:
    """Every descendant of ``root`` in rows of ``<pid> <parent pid>``, in no set order."""
    children: dict[int, list[int]] = {}
    for row in printed.splitlines():
        fields = row.split()
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(fields[0]))
    found: list[int] = []
    waiting = [root]
    while waiting:
        for child in children.get(waiting.pop(), []):
            if child not in found:
                found.append(child)
                waiting.append(child)
    return found
