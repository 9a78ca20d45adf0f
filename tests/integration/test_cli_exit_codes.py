"""`serve` says what really failed when it cannot listen, with its own exit code.

A port already in use, or one it has no permission to bind, was reported as "cannot
reach the database" with exit 3 (issue 12 item 9), sending an operator to check a
database that was fine. Run as an operator runs it: the installed command.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from bot.cli import EXIT_CANNOT_LISTEN
from tests.e2e.serving import CLI, clean_env


def serve(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CLI), "serve", *args],
        cwd=workdir,
        env=clean_env(workdir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_port_in_use_is_reported_as_such_with_its_own_exit_code(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(tmp_path, "--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == EXIT_CANNOT_LISTEN == 4
    (line,) = done.stderr.splitlines()
    assert line == (
        f"safecontact: cannot listen on 127.0.0.1:{port}: port {port} is already in use on "
        "127.0.0.1 (another safecontact, or another program, is listening there); stop it "
        "or choose another --port"
    )
    assert "database" not in done.stderr
    assert "listening on" not in done.stdout


def test_no_permission_to_bind_is_reported_as_such(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may bind any port, so there is no refusal to see")
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 1))
        except PermissionError:
            pass
        else:
            pytest.skip("this system lets anyone bind ports below 1024")
    done = serve(tmp_path, "--host", "127.0.0.1", "--port", "1")
    assert done.returncode == EXIT_CANNOT_LISTEN
    assert "no permission to listen on port 1" in done.stderr
    assert "database" not in done.stderr


def test_help_lists_the_exit_codes() -> None:
    done = subprocess.run([str(CLI), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    codes = done.stdout.split("exit codes:", 1)[1]
    for code, meaning in (
        ("2", "the configuration was refused"),
        ("3", "the database could not be reached"),
        ("4", "serve could not listen on its address"),
    ):
        assert f"  {code}  {meaning}" in codes


def test_each_bind_failure_reads_as_what_failed() -> None:
    """The words for the refusals a root CI cannot provoke (root may bind port 1)."""
    import errno

    from bot.commands import CannotListen

    denied = CannotListen("0.0.0.0", 443, PermissionError(errno.EACCES, "Permission denied"))
    assert str(denied) == (
        "cannot listen on 0.0.0.0:443: no permission to listen on port 443 (ports below 1024 "
        "need root or the CAP_NET_BIND_SERVICE capability); choose a port above 1023"
    )
    elsewhere = CannotListen("10.9.9.9", 3978, OSError(errno.EADDRNOTAVAIL, "Cannot assign"))
    assert "10.9.9.9 is not an address of this computer; check --host" in str(elsewhere)
