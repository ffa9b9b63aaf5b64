"""A real Synapse for the Matrix adapter's tests: installed, configured, started and stopped here.

Synapse comes from PyPI (`matrix-synapse`) into its own virtual environment,
`.venv-synapse` at the repository root, so its pinned dependencies never meet
Terreau's. `python tests/adapters/matrix/synapse.py install` (what `.ci/run` calls)
installs it; the test fixture installs it too when it is missing. The server gets a
generated configuration (SQLite, 127.0.0.1 on a free port, registration by shared
secret, generous rate limits that a test can lower for one user through the admin
API), runs as a child process with its own PID, and is stopped through that handle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VENV = ROOT / ".venv-synapse"
PYTHON = VENV / "bin" / "python"
REQUIREMENT = "matrix-synapse>=1.100"
SERVER_NAME = "terreau.test"
START_TIMEOUT = 120.0
"""Seconds Synapse may take to answer its health check on a loaded two-core machine."""


class SynapseUnavailable(RuntimeError):
    """Synapse could not be installed or started here; the message says why."""


def installed() -> bool:
    """Tell whether `.venv-synapse` holds a Synapse that imports."""
    if not PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(PYTHON), "-c", "import synapse.app.homeserver"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def install() -> None:
    """Create `.venv-synapse` and install Synapse from PyPI into it, unless it is there."""
    if installed():
        return
    if VENV.exists():
        shutil.rmtree(VENV)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(PYTHON), "-m", "pip", "install", "-q", "-U", "pip"],
        [str(PYTHON), "-m", "pip", "install", "-q", REQUIREMENT],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SynapseUnavailable(
                f"installing Synapse failed at `{' '.join(step)}`:\n{done.stderr[-2000:]}"
            )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """A registered user: id, access token, device."""

    user_id: str
    access_token: str
    device_id: str


class Synapse:
    """One running Synapse: its URL, its process, and the admin calls the tests need."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.admin: Account | None = None

    def configure(self) -> Path:
        """Write the homeserver config and its signing key; return the config's path."""
        folder = self.folder
        (folder / "media").mkdir(parents=True, exist_ok=True)
        generous = {"per_second": 1000, "burst_count": 1000}
        config: dict[str, Any] = {
            "server_name": SERVER_NAME,
            "pid_file": str(folder / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
            "log_config": str(folder / "log.yaml"),
            "media_store_path": str(folder / "media"),
            "signing_key_path": str(folder / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "enable_registration": False,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "rc_message": generous,
            "rc_registration": generous,
            "rc_login": {"address": generous, "account": generous, "failed_attempts": generous},
            "rc_joins": {"local": generous, "remote": generous},
            "rc_joins_per_room": generous,
            "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
            "rc_admin_redaction": generous,
            "rc_room_creation": generous,
            "rc_3pid_validation": generous,
        }
        (folder / "log.yaml").write_text(
            json.dumps(
                {
                    "version": 1,
                    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s"}},
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "plain",
                            "filename": str(folder / "homeserver.log"),
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )
        path = folder / "homeserver.yaml"
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        keys = subprocess.run(
            [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(path), "--generate-keys"],
            capture_output=True,
            text=True,
            check=False,
        )
        if keys.returncode != 0:
            raise SynapseUnavailable(f"Synapse could not generate its keys:\n{keys.stderr[-2000:]}")
        return path

    def start(self) -> None:
        """Start Synapse and return once it answers its health check."""
        config = self.configure()
        with (self.folder / "stdout.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SynapseUnavailable(
                    f"Synapse exited with {self.process.returncode}:\n{self._tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SynapseUnavailable(f"Synapse did not answer in {START_TIMEOUT}s:\n{self._tail()}")
        self.admin = self.register("admin", admin=True)

    def _tail(self) -> str:
        parts = []
        for name in ("stdout.log", "homeserver.log"):
            path = self.folder / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL after a grace period)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    # Admin calls.

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Call the homeserver and return its JSON answer (raising on an error status)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()}") from error
        return json.loads(text) if text else {}

    def register(
        self, name: str, *, admin: bool = False, displayname: str | None = None
    ) -> Account:
        """Register a user through the shared-secret API."""
        path = "/_synapse/admin/v1/register"
        nonce = self.call("GET", path)["nonce"]
        password = secrets.token_hex(12)
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, name, password, "admin" if admin else "notadmin"):
            if part != nonce:
                mac.update(b"\x00")
            mac.update(part.encode())
        answer = self.call(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": name,
                "displayname": displayname or name,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return Account(
            user_id=answer["user_id"],
            access_token=answer["access_token"],
            device_id=answer["device_id"],
        )

    def limit_messages(self, user_id: str, per_second: float, burst: int) -> None:
        """Lower one user's message rate limit (Synapse's admin override)."""
        assert self.admin is not None
        self.call(
            "POST",
            f"/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            {"messages_per_second": per_second, "burst_count": burst},
            token=self.admin.access_token,
        )

    def unlimit_messages(self, user_id: str) -> None:
        """Give a user back the server's rate limit."""
        assert self.admin is not None
        self.call(
            "DELETE",
            f"/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            token=self.admin.access_token,
        )


def main(argv: list[str]) -> int:
    """`synapse.py install` installs Synapse for the tests; `synapse.py demo` runs the demo."""
    if argv[1:] == ["install"]:
        install()
        print(f"Synapse ready in {VENV}")
        return 0
    if argv[1:] == ["demo"]:
        from tests.adapters.matrix.demo import run_demo

        return run_demo(ROOT / "matrix-demo")
    print("usage: synapse.py install | demo", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv))
