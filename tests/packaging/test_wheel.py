"""The built wheel is all an operator needs: installed (not editable) into a fresh
virtualenv, `terreau check` and `terreau db upgrade` work from any other folder,
with the prompts and migrations the wheel carries, never those of this source tree.

pip's cache makes the dependencies quick to install again; they are not byte-compiled,
which halves the time the install takes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.ops

SOURCE = Path(__file__).resolve().parents[2]
SHIPPED = ("pyproject.toml", "README.md", "bot", "adapters", "migrations", "prompts")
PIP = (sys.executable, "-m", "pip")


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding only the wheel and its dependencies, and an empty folder."""

    venv: Path
    elsewhere: Path
    env: dict[str, str]

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            cwd=self.elsewhere,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _quiet(*argv: str, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so the build leaves nothing in this tree and sees nothing else.
    tree = root / "source"
    tree.mkdir()
    for name in SHIPPED:
        origin = SOURCE / name
        if origin.is_dir():
            shutil.copytree(origin, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, tree / name)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not key.startswith("TERREAU_")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    dist = root / "dist"
    _quiet(
        *PIP,
        "wheel",
        "--quiet",
        "--no-deps",
        str(tree),
        "--wheel-dir",
        str(dist),
        cwd=root,
        env=env,
    )
    [wheel] = dist.glob("terreau-*.whl")
    venv = root / "venv"
    _quiet(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=root, env=env)
    _quiet(
        *PIP,
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--quiet",
        "--no-compile",
        str(wheel),
        cwd=root,
        env=env,
    )
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    yield Installed(venv=venv, elsewhere=elsewhere, env=env)


def test_the_code_prompts_and_migrations_come_from_the_wheel(installed: Installed) -> None:
    probe = (
        "import bot, adapters, migrations\n"
        "from bot.config._models import DEFAULT_PROMPTS_DIR\n"
        "from bot.storage.migrate import MIGRATIONS_DIR\n"
        "for path in (bot.__file__, adapters.__file__, migrations.__file__,"
        " DEFAULT_PROMPTS_DIR, MIGRATIONS_DIR):\n"
        "    print(path)\n"
    )
    done = installed.run("python", "-c", probe)

    assert done.returncode == 0, done.stderr
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert len(paths) == 5
    site = installed.venv.resolve()
    for path in paths:
        assert path.resolve().is_relative_to(site), path
        assert not path.resolve().is_relative_to(SOURCE), path
    prompts, migrations = paths[3], paths[4]
    assert (prompts / "en" / "games.toml").is_file() and (prompts / "fr" / "trivia").is_dir()
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == sorted(
        p.name for p in (SOURCE / "migrations" / "versions").glob("*.py")
    )


def test_check_and_db_upgrade_work_from_another_folder(installed: Installed) -> None:
    config = str(SOURCE / "examples" / "minimal.toml")

    checked = installed.run("terreau", "check", "--config", config)
    upgraded = installed.run("terreau", "db", "upgrade", "--config", config)

    assert checked.returncode == 0, checked.stderr
    assert "valid (1 communities, prompts in en, fr)" in checked.stdout
    assert upgraded.returncode == 0, upgraded.stderr
    [line] = upgraded.stdout.splitlines()
    current, head = line.removeprefix("database is at revision ").split(" (head ")
    assert current and head == f"{current})"
    assert (installed.elsewhere / "terreau.db").is_file()
