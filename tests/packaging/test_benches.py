"""Every bench still starts: its imports follow the code it measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ops

BENCHES = sorted((Path(__file__).parents[2] / "bench").glob("bench_*.py"))


@pytest.mark.parametrize("bench", BENCHES, ids=lambda path: path.stem)
def test_the_bench_starts_and_explains_its_options(bench: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(bench), "--help"], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
