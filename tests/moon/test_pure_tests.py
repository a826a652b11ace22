"""The pure modules' tests run with no database and no Redis to talk to."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_pure_tests_pass_with_the_database_and_redis_unreachable() -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("PYTEST_XDIST_WORKER", None)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "pure",
            "-q",
            "-p",
            "no:randomly",
            "-n",
            "0",
            "--ignore=tests/ingestion/clients/test_ratelimit.py",
            "tests",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
