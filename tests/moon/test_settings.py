"""Configuration comes from the environment and fails loudly."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    dropped = {"SECRET_KEY", "DEBUG", "APP_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("debug", ["false", "true"])
def test_production_refuses_to_start_without_secret_key(debug: str) -> None:
    result = run_manage("check", env={"APP_ENV": "prod", "DEBUG": debug})

    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for_and_a_dev_machine_gets_a_key_of_its_own() -> None:
    code = (
        "import hashlib; from django.conf import settings as s; "
        "print(s.DEBUG, len(s.SECRET_KEY), hashlib.sha256(s.SECRET_KEY.encode()).hexdigest())"
    )
    runs = [run_manage("shell", "-v", "0", "-c", code, env={"APP_ENV": "dev"}) for _ in range(2)]

    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    outputs = {run.stdout.strip() for run in runs}
    assert len(outputs) == 1  # the same key from one start to the next: sessions survive
    debug, length, digest = outputs.pop().split(" ")  # never the key itself in a log
    assert debug == "False"
    assert int(length) >= 50
    key_file = ROOT / "var" / "secret-key"
    assert hashlib.sha256(key_file.read_text().strip().encode()).hexdigest() == digest
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_it_refuses_a_malformed_boolean() -> None:
    result = run_manage("check", env={"DEBUG": "maybe"})

    assert result.returncode == 1
    assert "DEBUG must be a boolean (true/false), got 'maybe'" in result.stderr


def test_check_deploy_is_clean_in_production() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "APP_ENV": "prod",
            "SECRET_KEY": "x9Y2#pQ7!mZ4&vB1@nW6^tR3*sL8$hJ5%fD0-kq83jdu2mdy7Ahw-eiK2p",
            "ALLOWED_HOSTS": "moon.example",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_default_database_is_sqlite_with_wal_and_immediate_transactions(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "from django.db import connection; db = settings.DATABASES['default']; "
        "connection.ensure_connection(); cur = connection.cursor(); "
        "cur.execute('PRAGMA journal_mode'); mode = cur.fetchone()[0]; "
        "cur.execute('PRAGMA busy_timeout'); busy = cur.fetchone()[0]; "
        "print(json.dumps([db['ENGINE'], db['OPTIONS']['transaction_mode'], mode, busy]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "moon.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'moon.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == '["django.db.backends.sqlite3", "IMMEDIATE", "wal", 20000]'


RACE = """
import threading, django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cur:
    cur.execute("CREATE TABLE counter (n INTEGER)")
    cur.execute("INSERT INTO counter VALUES (0)")
connection.close()
errors = []

def bump():
    try:
        for _ in range(25):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT n FROM counter")
                (value,) = cur.fetchone()
                cur.execute("UPDATE counter SET n = %s", [value + 1])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=bump) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as cur:
    cur.execute("SELECT n FROM counter")
    print(cur.fetchone()[0], errors[:1])
"""


def test_concurrent_read_then_write_transactions_do_not_fail_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "moon.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'race.sqlite3'}"

    result = subprocess.run(
        [sys.executable, "-c", RACE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert result.stdout.strip() == "100 []"


@pytest.mark.parametrize("value", ["abc", "-5"])
def test_it_refuses_a_bad_rpm(value: str) -> None:
    result = run_manage("check", env={"DEXSCREENER_RPM": value})

    assert result.returncode == 1
    assert "DEXSCREENER_RPM must be" in result.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-2", "inf", "nan"])
def test_it_refuses_a_bad_solana_rate(value: str) -> None:
    result = run_manage("check", env={"SOLANA_RPC_RPS": value})

    assert result.returncode == 1
    assert "SOLANA_RPC_RPS must be" in result.stderr


def test_the_solana_endpoint_and_rate_have_public_defaults() -> None:
    assert (settings.SOLANA_RPC_URL, settings.SOLANA_RPC_RPS) == (
        "https://api.mainnet-beta.solana.com",
        8.0,
    )
