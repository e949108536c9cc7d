"""``wslab.local.platform``: each branch run where it can (Linux here), the Windows and macOS
branches' pure parts (flags, command lines, what a tool printed) checked with the system
forced, and the macOS parent watch run for real (it only needs ``getppid``)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import scaled
from wslab.local import platform

# The macOS branches that need nothing but POSIX run here for real, with the system forced.
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="runs POSIX processes")


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie nobody reaped yet (a container's init may not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state == "Z"


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + scaled(seconds)
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def _kill_if_alive(pid: int) -> None:
    if not _gone(pid):
        os.kill(pid, signal.SIGKILL)


# Starting and stopping processes ------------------------------------------------------


def test_a_child_s_own_group_is_a_flag_on_windows_and_a_group_on_posix() -> None:
    assert platform.own_group("win32") == {"creationflags": 0x200}  # CREATE_NEW_PROCESS_GROUP
    assert platform.own_group("linux") == platform.own_group("darwin") == {"process_group": 0}
    assert platform.own_session("linux") == {"start_new_session": True}
    assert platform.own_session("win32") == {"creationflags": 0x200}


def test_a_stoppable_child_leads_its_group_on_windows_even_in_the_caller_s_session() -> None:
    """Ctrl-Break reaches a group's leader only: on Windows every stoppable child leads one."""
    assert platform.stoppable(False, "win32") == platform.stoppable(True, "win32")
    assert platform.stoppable(True, "win32") == {"creationflags": 0x200}
    assert platform.stoppable(False, "linux") == {}
    assert platform.stoppable(True, "darwin") == {"start_new_session": True}


def test_windows_kills_a_tree_with_taskkill() -> None:
    assert platform.kill_tree_command(4242) == ["taskkill", "/T", "/F", "/PID", "4242"]


@POSIX_ONLY
def test_killing_a_group_ends_its_leader_and_what_it_started() -> None:
    leader = subprocess.Popen(
        ["sh", "-c", "sleep 600 & echo $!; wait"],
        stdout=subprocess.PIPE,
        text=True,
        **platform.own_group(),
    )
    assert leader.stdout is not None
    started = int(leader.stdout.readline())
    try:
        platform.kill_group(leader.pid)
        assert leader.wait(scaled(10)) == -signal.SIGKILL
        assert _wait_gone(started, 10), "the group's other process outlived kill_group"
        platform.kill_group(leader.pid)  # gone: nothing to do, and no error
    finally:
        _kill_if_alive(started)
        leader.stdout.close()


@POSIX_ONLY
def test_asking_to_stop_lets_a_process_clean_up() -> None:
    cleaning = (
        "import signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('cleaned up', flush=True), sys.exit(0)))\n"
        "print('ready', flush=True)\n"
        "signal.pause()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", cleaning], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    platform.ask_to_stop(child.pid)
    assert child.wait(scaled(10)) == 0
    assert child.stdout.read() == "cleaned up\n"
    child.stdout.close()


# Signals that stop wslab --------------------------------------------------------------


def test_ctrl_break_stops_wslab_on_windows_only() -> None:
    assert platform.stop_signals("linux") == (signal.SIGINT, signal.SIGTERM)
    assert platform.stop_signals("darwin") == (signal.SIGINT, signal.SIGTERM)
    assert platform.stop_signals("win32") == (signal.SIGINT, signal.SIGTERM, 21)  # SIGBREAK


# A loop that stops on a signal, with the handler chosen as on the given system: the loop's
# own (POSIX, asyncio's) or wslab's, handing the call to the loop (Windows' Proactor loop
# has none). It prints whose handler Python calls, then whether it was put back.
STOPS_ON_SIGNAL = """
import asyncio, signal, sys
from wslab.local.platform import on_stop_signals

async def main():
    stop = asyncio.Event()
    restore = on_stop_signals(asyncio.get_running_loop(), stop.set, sys.argv[1])
    print(signal.getsignal(signal.SIGTERM).__module__, flush=True)
    await stop.wait()
    restore()
    print("stopped", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)

asyncio.run(main())
"""


@POSIX_ONLY
@pytest.mark.parametrize(
    ("system", "handler"), [("linux", "asyncio.unix_events"), ("win32", "wslab.local.platform")]
)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_stops_the_loop(system: str, handler: str, signum: int) -> None:
    """Either way the signal sets the loop's event, and the handlers are put back after."""
    child = subprocess.Popen(
        [sys.executable, "-c", STOPS_ON_SIGNAL, system], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == f"{handler}\n"
        os.kill(child.pid, signum)
        assert child.wait(scaled(10)) == 0
        assert child.stdout.read() == "stopped True\n"
    finally:
        child.kill()
        child.stdout.close()


# A worker's life tied to the stack's --------------------------------------------------

# A stand-in for the stack: starts a worker that ties itself to it the way ``system`` does,
# prints the pids to watch, then waits to be killed.
STACK = """
import os, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]])
time.sleep(600)
"""
TIED_WORKER = """
import os, sys, time
from wslab.local.platform import tie_to_parent
survives_exec = tie_to_parent(int(sys.argv[1]), sys.argv[2])
print(os.getpid(), survives_exec, flush=True)
time.sleep(600)
"""
TIED_PROGRAM = """
import os, sys
from wslab.local.platform import run_tied_to_parent
program = "import os, time; print(os.getpid(), flush=True); time.sleep(600)"
print(os.getpid(), flush=True)
run_tied_to_parent([sys.executable, "-c", program], int(sys.argv[1]), sys.argv[2])
"""


def _stack(worker: str, system: str) -> tuple[subprocess.Popen[str], list[str]]:
    stack = subprocess.Popen(
        [sys.executable, "-c", STACK, worker, system], stdout=subprocess.PIPE, text=True
    )
    assert stack.stdout is not None
    return stack, stack.stdout.readline().split()


@POSIX_ONLY
@pytest.mark.parametrize(("system", "survives_exec"), [("linux", "True"), ("darwin", "False")])
def test_a_worker_ends_when_its_stack_is_killed(system: str, survives_exec: str) -> None:
    """Linux asks the kernel; macOS's branch (forced here) watches ``getppid``."""
    if system == "linux" and sys.platform != "linux":
        pytest.skip("prctl is Linux's")
    stack, printed = _stack(TIED_WORKER, system)
    worker = int(printed[0])
    try:
        assert printed[1] == survives_exec
        assert not _gone(worker)
        os.kill(stack.pid, signal.SIGKILL)
        stack.wait()
        assert _wait_gone(worker, 10), "a worker outlived its killed stack"
    finally:
        _kill_if_alive(worker)
        assert stack.stdout is not None
        stack.stdout.close()


@POSIX_ONLY
def test_a_program_run_tied_without_exec_ends_with_the_stack() -> None:
    """macOS's branch (forced here): no ``exec``; the program runs as a child, which the
    watch kills when the stack ends, before ending itself."""
    stack, _ = _stack(TIED_PROGRAM, "darwin")
    assert stack.stdout is not None
    tied, program = int(_[0]), int(stack.stdout.readline())
    try:
        assert tied != program and not _gone(program)
        os.kill(stack.pid, signal.SIGKILL)
        stack.wait()
        assert _wait_gone(program, 10), "the program outlived its killed stack"
        assert _wait_gone(tied, 10)
    finally:
        _kill_if_alive(program)
        _kill_if_alive(tied)
        stack.stdout.close()


@POSIX_ONLY
def test_a_program_run_tied_exits_with_the_program_s_status() -> None:
    script = (
        "import sys\nfrom wslab.local.platform import run_tied_to_parent\n"
        "run_tied_to_parent([sys.executable, '-c', 'raise SystemExit(7)'], None, sys.argv[1])\n"
    )
    for system in ("darwin", "linux"):  # a child's status; an exec'd program's own
        result = subprocess.run([sys.executable, "-c", script, system], timeout=scaled(30))
        assert result.returncode == 7, system


def test_the_job_limits_are_windows_layout_and_kill_on_close() -> None:
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION is 144 bytes on 64-bit Windows, LimitFlags at 16
    (winnt.h); JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE is 0x2000."""
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the layout checked is 64-bit Windows'")
    limits = platform.kill_on_close_limits()
    assert ctypes.sizeof(limits) == 144
    assert platform.JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags.offset == 16
    assert limits.BasicLimitInformation.LimitFlags == 0x2000
    platform.kill_with_this_process(os.getpid())  # nothing to do outside Windows


# Files -------------------------------------------------------------------------------


@POSIX_ONLY
def test_a_lock_is_taken_once_until_released(tmp_path: Path) -> None:
    path = tmp_path / "owner"
    path.write_text("")
    with open(path) as first:
        assert platform.try_lock(first)
        with open(path) as second:
            assert not platform.try_lock(second)
    with open(path) as third:
        assert platform.try_lock(third)


# Ports ---------------------------------------------------------------------------------


def test_a_probe_reuses_addresses_as_a_server_does_except_on_windows() -> None:
    for system, reuses in (("linux", True), ("win32", False)):
        with socket.socket() as probe:
            platform.bind_as_a_server(probe, ("127.0.0.1", 0), system)
            assert bool(probe.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)) is reuses


@pytest.mark.skipif(sys.platform != "linux", reason="/proc is Linux's")
def test_the_holder_of_a_port_is_found_with_its_command() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        assert platform.port_holder(port) is None  # bound, not listening
        listening.listen()
        holder = platform.port_holder(port)
    assert holder is not None
    assert holder.pid == os.getpid() and not holder.stopped
    assert holder.command.startswith(sys.executable)  # this interpreter, then its arguments


def test_the_remedy_for_a_holder_is_the_system_s_command() -> None:
    assert platform.PortHolder(12, "x").remedy("linux") == "kill 12"
    assert platform.PortHolder(12, "x", stopped=True).remedy("darwin") == (
        "kill -CONT 12 to resume it, or kill -9 12"
    )
    assert platform.PortHolder(12, "x").remedy("win32") == "taskkill /PID 12 /F"


NETSTAT = """
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1024
  TCP    127.0.0.1:4577         127.0.0.1:50123        ESTABLISHED     777
  TCP    127.0.0.1:4577         0.0.0.0:0              ABHÖREN         5312
  TCP    [::]:45770             [::]:0                 LISTENING       99
  UDP    0.0.0.0:4577           *:*                                    888
"""


def test_netstat_s_listening_row_names_the_pid_in_any_language() -> None:
    """The state word is translated (German ``ABHÖREN`` here): the foreign address says it."""
    assert platform.listening_pid_from_netstat(NETSTAT, 4577) == 5312
    assert platform.listening_pid_from_netstat(NETSTAT, 45770) == 99
    assert platform.listening_pid_from_netstat(NETSTAT, 45) is None


def test_tasklist_s_row_names_the_image() -> None:
    row = '"python.exe","5312","Console","1","41,232 K"\r\n'
    assert platform.command_from_tasklist(row) == "python.exe"
    assert platform.command_from_tasklist("INFO: No tasks are running.\r\n") is None


def test_lsof_s_fields_name_the_pid_and_command() -> None:
    printed = "p5312\ncPython\nf7\n"
    holder = platform.holder_from_lsof(printed, lambda pid: pid == 5312)
    assert holder == platform.PortHolder(5312, "Python", stopped=True)
    assert platform.holder_from_lsof("", lambda pid: False) is None


def test_a_folder_link_names_its_target_and_is_made_once(tmp_path: Path) -> None:
    target = tmp_path / "sdk"
    (target / "pkg").mkdir(parents=True)
    link = tmp_path / "code" / "node_modules"
    link.parent.mkdir()
    platform.link_folder(link, target)
    assert (link / "pkg").is_dir() and link.resolve() == target.resolve()
    for system in ("linux", "win32"):  # an existing link is the caller's to accept
        with pytest.raises(FileExistsError):
            platform.link_folder(link, target, system)


# Commands printed for the learner -------------------------------------------------------


def test_a_console_script_is_an_exe_on_windows() -> None:
    assert platform.script_path(Path(".venv/bin"), "wslab", "linux") == Path(".venv/bin/wslab")
    scripts = Path(".venv") / "Scripts"
    assert platform.script_path(scripts, "wslab", "win32") == scripts / "wslab.exe"


def test_a_printed_command_is_quoted_for_the_system_s_shell() -> None:
    words = [r".venv\Scripts\wslab.exe", "chat", "--room", "the lobby", "--token", "a.b-c"]
    assert platform.command_line(words, "win32") == (
        r'.venv\Scripts\wslab.exe chat --room "the lobby" --token a.b-c'
    )
    assert platform.command_line(["wslab", "--room", "the lobby"], "darwin") == (
        "wslab --room 'the lobby'"
    )


def test_a_variable_is_set_as_the_system_s_shell_sets_it() -> None:
    assert platform.set_variable_command("WSLAB_PREFIX", "wslab-ann", "linux") == (
        "export WSLAB_PREFIX=wslab-ann"
    )
    assert platform.set_variable_command("WSLAB_PREFIX", "wslab-ann", "win32") == (
        '$env:WSLAB_PREFIX="wslab-ann"'
    )


# Reading a child's output in the event loop ------------------------------------------


@POSIX_ONLY
def test_a_followed_pipe_is_read_as_it_fills_then_seen_closed() -> None:
    """The loop is told when the pipe has data, reads what is there without waiting, and
    is told when the writer closes it (``b""``), until it stops following."""

    async def follow() -> list[bytes | None]:
        read_end, write_end = os.pipe()
        loop = asyncio.get_running_loop()
        seen: list[bytes | None] = []
        closed = asyncio.Event()

        def on_readable() -> None:
            chunk = platform.read_available(read_end)
            seen.append(chunk)
            if chunk == b"":  # as a worker does once its process has exited
                stop()
                closed.set()

        stop = platform.follow_pipe(loop, read_end, on_readable)
        try:
            assert platform.read_available(read_end) is None  # nothing yet: no waiting
            os.write(write_end, b"hello\n")
            os.close(write_end)
            await asyncio.wait_for(closed.wait(), scaled(10))
        finally:
            os.close(read_end)
        return seen

    assert asyncio.run(follow()) == [b"hello\n", b""]


def test_descendants_are_read_from_a_pid_and_parent_table() -> None:
    """Children, grandchildren, nothing else: rows of ``<pid> <parent pid>`` as ``ps``
    prints them (``pid=,ppid=``), headers and blank lines ignored."""
    printed = "  PID  PPID\n 10 1\n 11 10\n 12 11\n 13 1\n\n 14 10\n"
    assert sorted(platform.child_pids_from_table(printed, 10)) == [11, 12, 14]
    assert platform.child_pids_from_table(printed, 12) == []


def test_descendants_finds_a_child_and_its_child() -> None:
    """This system's branch, on real processes: a child that starts a grandchild."""
    sleeper = "import time; time.sleep(60)"
    script = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {sleeper!r}]); {sleeper}"
    )
    child = subprocess.Popen([sys.executable, "-c", script], **platform.own_group())
    try:
        deadline = time.monotonic() + scaled(30)
        while not (grandchildren := platform.descendants(child.pid)):
            assert time.monotonic() < deadline, "the grandchild never showed"
            time.sleep(0.05)
        assert child.pid in platform.descendants(os.getpid())
        assert set(grandchildren) <= set(platform.descendants(os.getpid()))
    finally:
        platform.kill_group(child.pid)
        child.wait()
