"""Child processes that die with their parent, so no broker or database is orphaned."""

import ctypes
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _child_setup(run_as: tuple[int, int] | None) -> Callable[[], None]:
    def setup() -> None:
        if run_as is not None:
            os.setgid(run_as[1])
            os.setuid(run_as[0])
        # After the user switch, which would clear it: Linux sends SIGTERM to the
        # child when its parent exits, even when the parent was SIGKILLed. "Parent"
        # is the spawning *thread*: spawn from a thread that outlives the child.
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return setup


def spawn(
    args: Sequence[str],
    *,
    log: IO[Any],
    env: dict[str, str] | None = None,
    run_as: tuple[int, int] | None = None,
    **kwargs: Any,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(args), stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_child_setup(run_as), **kwargs
    )


def stop(process: subprocess.Popen[bytes], *, timeout_s: float = 30) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def repo_cache_dir() -> Path:
    """`SAMVIRKE_CACHE_DIR`, else `.cache` at the repository root (ignored by git)."""
    if configured := os.environ.get("SAMVIRKE_CACHE_DIR"):
        return Path(configured)
    root = Path(__file__).resolve().parents[2]
    return (root if (root / "pyproject.toml").exists() else Path.cwd()) / ".cache"
