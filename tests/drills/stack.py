"""A private moon for fault drills: its own PostgreSQL and Redis in a scratch folder (so a
drill may stop and restart them while other tests use the shared ones), the sandbox market,
and moon's processes (web, worker, beat, listener) as subprocesses run as the Procfile runs
them. Drills assert through their own connections (psycopg, redis-py, HTTP), never through
pytest-django's test database."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from ingestion.services.listener import LISTENER_STATE_KEY

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"
# The same server options scripts/services.sh starts PostgreSQL with (a restart needs them again).
PG_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200"
)
# Child-process environment that belongs to the test runner, not to the drilled system.
RUNNER_ONLY = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")

# Every drill: marked, and grouped so that `--dist loadgroup` runs them one after the other on one
# xdist worker (each starts PostgreSQL, Redis and half a dozen Python processes). pytest-xdist
# 3.8 under pytest 9.2 ignores the group (pytest-dev/pytest-xdist#1386): the drills must not,
# and do not, depend on it.
DRILL = [pytest.mark.drill, pytest.mark.xdist_group("drills")]
# The slow drills run only in `make drills`, which sets MOON_DRILLS=all.
SLOW = pytest.mark.skipif(
    os.environ.get("MOON_DRILLS") != "all", reason="slow fault drill: run by `make drills`"
)


def wait_for(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    every: float = 0.2,
    explain: Callable[[], str] | None = None,
) -> Any:
    """Poll `check` until it answers something truthy (returned) or `timeout` passes; the
    failure carries what `explain` tells (the log lines that matter, say)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            raise AssertionError(f"not within {timeout:.0f}s: {what}{detail}")
        time.sleep(every)


def free_port() -> int:
    """A free loopback port below 32768, away from the ones scripts/with-services picks."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def services(script: str, *args: str | Path, timeout: float = 120) -> str:
    """Run `script` with scripts/services.sh sourced (its functions: start_postgres, ...)."""
    completed = subprocess.run(
        ["bash", "-c", f'source "{SERVICES}"; {script}', "drill", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{script} failed: {completed.stdout}{completed.stderr}")
    return completed.stdout


class Postgres:
    """A PostgreSQL cluster of our own: started, stopped and restarted on the same port."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.port = 0
        self.url = ""

    def start(self) -> None:
        for _ in range(5):  # a port found free can be taken before the server binds it
            self.port = free_port()
            with contextlib.suppress(RuntimeError):
                services('rm -rf "$1/postgres"; start_postgres "$1" "$2"', self.scratch, self.port)
                break
        else:
            raise RuntimeError("PostgreSQL did not start")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/moon"

    def stop(self) -> None:
        services('stop_postgres "$1"', self.scratch)

    def restart(self) -> None:
        """Start the stopped cluster again, data kept."""
        pg = self.scratch / "postgres"
        options = f"-p {self.port} -k {pg} {PG_OPTIONS}"
        services(
            'as_postgres "$(pg_bin)/pg_ctl" -D "$1/data" -l "$1/postgres.log" -w -t 60 '
            '-o "$2" start >/dev/null',
            pg,
            options,
        )

    def connect(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=5)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None


class Redis:
    """A redis-server of our own; no persistence, so a restart comes back empty (worst case)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.port = 0
        self.url = ""

    def start(self) -> None:
        for _ in range(5):
            self.port = free_port()
            with contextlib.suppress(RuntimeError):
                services('start_redis "$1" "$2" && redis_answers "$2"', self.scratch, self.port)
                break
        else:
            raise RuntimeError("Redis did not start")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        services('stop_redis "$1"', self.scratch)
        (self.scratch / "redis" / "redis.pid").unlink(missing_ok=True)

    def restart(self) -> None:
        services('start_redis "$1" "$2" && redis_answers "$2"', self.scratch, self.port)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)


@dataclass
class Process:
    """One of moon's processes, in a session of its own, its output in a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> Process:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n=== start {self.starts}: {shlex.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env={**self.env, "MOON_PROCESS": self.name},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def children(self) -> list[int]:
        """Pids of the direct children (a Celery worker's pool processes)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the whole process group: the machine it ran on is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        assert self.popen is not None
        self.popen.wait(timeout=10)

    def stop(self) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # stray pool children
            os.killpg(self.pid, signal.SIGKILL)
        return self.popen.returncode

    def lines(self, *needles: str) -> str:
        """The lines of its log that contain any of `needles`."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(line for line in text.splitlines() if any(n in line for n in needles))

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    """PostgreSQL, Redis, the sandbox market and moon's processes for one drill module."""

    scratch: Path
    postgres: Postgres
    redis: Redis
    market: SandboxHandle
    env: dict[str, str]
    web_port: int
    processes: dict[str, Process] = field(default_factory=dict)

    def manage(self, *args: str, timeout: float = 120) -> str:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"manage.py {shlex.join(args)}: {completed.stderr}")
        return completed.stdout

    def django(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start(self, name: str, *argv: str) -> Process:
        process = Process(name, [sys.executable, *argv], self.env, self.scratch / f"{name}.log")
        self.processes[name] = process.start()
        return process

    def start_web(self) -> Process:
        return self.start(
            "web",
            "-m",
            "gunicorn",
            "moon.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--bind",
            f"127.0.0.1:{self.web_port}",
            "--workers",
            "1",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        )

    def start_worker(self, concurrency: int = 2, name: str = "worker") -> Process:
        return self.start(
            name,
            "-m",
            "celery",
            "-A",
            "moon",
            "worker",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{name}@%h",
        )

    def start_beat(self) -> Process:
        return self.start(
            "beat",
            "-m",
            "celery",
            "-A",
            "moon",
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--schedule",
            str(self.scratch / "celerybeat-schedule"),
        )

    def start_listener(self) -> Process:
        return self.start("listener", "manage.py", "listen_pumpfun")

    def start_watchdog(self) -> Process:
        return self.start("watchdog", "manage.py", "watchdog")

    def start_system(self, concurrency: int = 2) -> None:
        """web, worker, beat, listener and watchdog, as the Procfile runs them; back once all
        are up."""
        self.start_web()
        self.start_worker(concurrency)
        self.start_beat()
        self.start_listener()
        self.start_watchdog()
        self.wait_listening()
        try:
            wait_for(lambda: self.get("/health")[1]["status"] == "ok", 60, "/health ok")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; it answers {self.get('/health')}") from None

    def listener_state(self) -> dict[str, Any]:
        raw = self.redis.client().get(LISTENER_STATE_KEY)
        return json.loads(raw) if raw else {}

    def listening(self) -> bool:
        """Connected and subscribed: a frame arrived on the current connection. (An open socket
        alone is not enough: a migration sent before the subscription reaches nobody.)"""
        state = self.listener_state()
        since, last = state.get("connected_since"), state.get("last_frame_at")
        return bool(state.get("connected") and since and last and last >= since)

    def wait_listening(self, timeout: float = 60) -> None:
        wait_for(self.listening, timeout, "the listener connected and subscribed")

    def migrate(self, count: int) -> list[str]:
        """Graduate `count` tokens in the market now; answers their mints."""
        return [self.market.migrate_now()["mint"] for _ in range(count)]

    def scored(self, mints: Sequence[str]) -> int:
        return int(
            self.postgres.value(
                "SELECT count(*) FROM tokens_token WHERE mint_address = ANY(%s) "
                "AND scored_at IS NOT NULL",
                [list(mints)],
            )
        )

    def now(self) -> Any:
        """The database's clock: what snapshot times compare with."""
        return self.postgres.value("SELECT now()")

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        response = httpx.get(f"http://127.0.0.1:{self.web_port}{path}", timeout=20)
        return response.status_code, response.json()

    def health(self) -> tuple[int, str]:
        status, body = self.get("/health")
        return status, body["status"]

    def scheduler(self) -> tuple[int, str]:
        status, body = self.get("/health/scheduler")
        return status, body["status"]

    def assert_alive(self, *names: str) -> None:
        dead = {n: self.processes[n] for n in names if not self.processes[n].alive()}
        assert not dead, "processes exited:\n" + "\n\n".join(
            f"--- {name} (exit {p.popen.returncode if p.popen else None})\n{p.tail()}"
            for name, p in dead.items()
        )

    def logs(self) -> str:
        parts = [f"--- {name}\n{process.tail(60)}" for name, process in self.processes.items()]
        return "\n\n".join(parts)

    def snapshots_consistent(self) -> None:
        """No snapshot is duplicated or half-written: one snapshot per token per refresh (a
        refresh's rows share its instant), and each refreshed token's row carries exactly its
        latest snapshot, which one transaction wrote with it."""
        duplicates = self.postgres.rows(
            "SELECT token_id, created_at, count(*) AS n FROM token_scores "
            "GROUP BY token_id, created_at HAVING count(*) > 1"
        )
        assert duplicates == [], duplicates
        mismatched = self.postgres.rows(
            "SELECT t.id, t.scored_at, t.score, s.created_at, s.score AS snapshot_score "
            "FROM tokens_token t LEFT JOIN LATERAL ("
            "  SELECT created_at, score, smoothed_score FROM token_scores "
            "  WHERE token_id = t.id ORDER BY created_at DESC LIMIT 1) s ON true "
            "WHERE t.scored_at IS DISTINCT FROM s.created_at "
            "   OR t.score IS DISTINCT FROM s.score "
            "   OR t.smoothed_score IS DISTINCT FROM s.smoothed_score"
        )
        assert mismatched == [], mismatched

    def token_mints(self) -> set[str]:
        return {
            row["mint_address"]
            for row in self.postgres.rows("SELECT mint_address FROM tokens_token")
        }


def base_env(postgres: Postgres, redis_server: Redis, market: SandboxHandle) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RUNNER_ONLY}
    return {
        **env,
        "APP_ENV": "test",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis_server.url,
        "DEXSCREENER_URL": market.http_url,
        "PUMPPORTAL_WS_URL": market.ws_url,
        "SOLANA_RPC_URL": market.rpc_url,
        "DEXSCREENER_RPM": "6000",  # the budget never limits a drill that does not ask it to
        "LOG_LEVEL": "INFO",
        "WATCHDOG_INTERVAL_SECONDS": "2",
    }


# Freshness alone decides the score, unsmoothed: every new token is hot, refreshed every 5 s.
DRILL_SETTINGS = {
    "hot_interval_sec": 5,
    "cold_interval_sec": 10,
    "w_tx": 0,
    "w_vol": 0,
    "w_oi": 0,
    "w_fresh": 1,
    "ewma_alpha": 1,
}


@contextlib.contextmanager
def running_stack(
    config: SandboxConfig | None = None, env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """PostgreSQL and Redis started and migrated, the sandbox serving; no moon process yet."""
    scratch = Path(tempfile.mkdtemp(prefix="moon-drill."))
    scratch.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    postgres, redis_server = Postgres(scratch), Redis(scratch)
    market_config = config or SandboxConfig(
        port=0, seed=7, speed=1, migrations_per_hour=0, creates_per_minute=60
    )
    try:
        postgres.start()
        redis_server.start()
        with running_sandbox(market_config) as market:
            stack = Stack(
                scratch,
                postgres,
                redis_server,
                market,
                {**base_env(postgres, redis_server, market), **(env or {})},
                free_port(),
            )
            stack.manage("migrate", "--noinput")
            stack.django(
                "from scoring.services.settings import scoring_settings_save as save; "
                "from scoring.services.periodic import periodic_tasks_sync; "
                f"save(changes={json.dumps(DRILL_SETTINGS)}); periodic_tasks_sync()"
            )
            try:
                yield stack
            finally:
                for process in reversed(list(stack.processes.values())):
                    process.stop()
    finally:
        with contextlib.suppress(Exception):
            postgres.stop()
        with contextlib.suppress(Exception):
            redis_server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
