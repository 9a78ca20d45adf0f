"""`safecontact serve` as `make run` starts it: a real process in an empty directory.

No configuration file and no Slack or Teams credentials in its environment, so it serves
the local web chat with the bundled demo directory; the tests read the URL it prints,
exactly as a person would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CLI = Path(sys.executable).with_name("safecontact")
OPEN_LINE = re.compile(r"Open the local web chat on this computer: (http://\S+/)")
CREDENTIALS = ("SLACK_", "MICROSOFT_APP_")


def clean_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any configuration or credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SAFECONTACT_CONFIG", "DATABASE_URL") and not k.startswith(CREDENTIALS)
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'safecontact.db'}"
    env.update(extra)
    return env


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str | None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)


def _drain(stream: object, into: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.append(line)


@contextmanager
def serving(
    workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[Served]:
    """Start `safecontact serve ARGS`; yield once it says it is listening; stop it after."""
    process = subprocess.Popen(
        [str(CLI), "serve", *args],
        cwd=workdir,
        env=env if env is not None else clean_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(process, None)
    readers = [
        threading.Thread(target=_drain, args=(process.stdout, served.stdout), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, served.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not any("listening on" in line for line in served.stdout):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("serve did not start:\n" + "".join(served.stderr))
            time.sleep(0.05)
        time.sleep(0.1)  # the web chat line follows the listening line
        found = [m.group(1) for line in served.stdout if (m := OPEN_LINE.search(line))]
        served.url = found[0] if found else None
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=5)
