"""The bounded store of recent log records, shared by every process through Redis."""

import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings

from moon.lib.logging import process_role
from moon.operations.logstore import LOG_KEY, RedisLogHandler, level_number, log_records

BASE_KEYS = {"time", "level", "levelno", "logger", "message", "process", "pid", "ts"}


def root_store() -> RedisLogHandler:
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, RedisLogHandler)]
    return handler


@pytest.fixture(autouse=True)
def empty_store(redis_client: redis.Redis) -> None:
    """Records of earlier tests may still be on their way: let them land, then start empty."""
    root_store().flush()
    redis_client.delete(LOG_KEY)


def stored(**filters: object) -> list[dict]:
    root_store().flush()
    return log_records(**filters)  # type: ignore[arg-type]


@pytest.fixture
def private_logger() -> Iterator[logging.Logger]:
    """A logger that only a handler of the test's own sees."""
    logger = logging.getLogger("tests.private")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True


def test_settings_attach_the_store_to_the_root_logger() -> None:
    handler = root_store()

    assert (handler.url, handler.key, handler.max_records) == (settings.REDIS_URL, LOG_KEY, 5000)


def test_a_record_is_stored_as_the_stdout_json() -> None:
    logging.getLogger("tests.logstore").warning("disk %s", "full", extra={"mint": "Mint1"})

    (record,) = stored(logger="tests.logstore")

    assert set(record) == BASE_KEYS | {"mint"}
    assert {k: record[k] for k in ("level", "levelno", "logger", "message", "mint")} == {
        "level": "WARNING",
        "levelno": 30,
        "logger": "tests.logstore",
        "message": "disk full",
        "mint": "Mint1",
    }
    assert record["pid"] == os.getpid()
    assert datetime.fromisoformat(record["time"]).timestamp() == pytest.approx(record["ts"], 1e-3)


def test_records_come_back_newest_first_up_to_the_limit() -> None:
    logger = logging.getLogger("tests.logstore")
    for n in range(5):
        logger.info("record %d", n)

    assert [r["message"] for r in stored(logger="tests.logstore")] == [
        "record 4",
        "record 3",
        "record 2",
        "record 1",
        "record 0",
    ]
    assert [r["message"] for r in stored(logger="tests.logstore", limit=2)] == [
        "record 4",
        "record 3",
    ]


def test_the_level_filter_is_a_minimum() -> None:
    logger = logging.getLogger("tests.logstore")
    logger.info("info")
    logger.warning("warning")
    logger.error("error")
    logger.critical("critical")

    assert [r["message"] for r in stored(logger="tests.logstore", level="warning")] == [
        "critical",
        "error",
        "warning",
    ]
    assert [r["message"] for r in stored(logger="tests.logstore", level=40)] == [
        "critical",
        "error",
    ]


def test_the_logger_filter_takes_a_logger_and_its_children() -> None:
    logging.getLogger("tests.logstore").info("parent")
    logging.getLogger("tests.logstore.child").info("child")
    logging.getLogger("tests.logstorex").info("sibling")

    assert [r["message"] for r in stored(logger="tests.logstore")] == ["child", "parent"]


def test_the_text_filter_ignores_case_and_searches_tracebacks() -> None:
    logger = logging.getLogger("tests.logstore")
    logger.info("Refreshed 30 HOT tokens")
    logger.info("refreshed 12 cold tokens")
    try:
        raise KeyError("lost-mint")
    except KeyError:
        logger.exception("batch failed")

    assert [r["message"] for r in stored(logger="tests.logstore", text="hot")] == [
        "Refreshed 30 HOT tokens"
    ]
    (failed,) = stored(logger="tests.logstore", text="LOST-MINT")
    assert failed["message"] == "batch failed"
    assert failed["exc_info"].endswith("KeyError: 'lost-mint'")


def test_the_since_filter_keeps_records_at_or_after_it() -> None:
    logger = logging.getLogger("tests.logstore")
    logger.info("before")
    time.sleep(0.02)
    since = datetime.now(UTC)
    logger.info("after")

    assert [r["message"] for r in stored(logger="tests.logstore", since=since)] == ["after"]
    later = since + timedelta(seconds=5)
    assert stored(logger="tests.logstore", since=later) == []


def test_the_store_keeps_only_the_newest_records(
    private_logger: logging.Logger, redis_client: redis.Redis
) -> None:
    handler = RedisLogHandler(settings.REDIS_URL, key="moon:test-logs", max_records=5)
    private_logger.addHandler(handler)

    for n in range(8):
        private_logger.info("record %d", n)
    handler.flush()

    lines = redis_client.lrange("moon:test-logs", 0, -1)
    assert [line.decode().split('"message": "')[1].split('"')[0] for line in lines] == [
        "record 7",
        "record 6",
        "record 5",
        "record 4",
        "record 3",
    ]


def test_logging_neither_blocks_nor_raises_when_redis_is_down(
    private_logger: logging.Logger,
) -> None:
    handler = RedisLogHandler("redis://127.0.0.1:1/0")
    private_logger.addHandler(handler)

    started = time.monotonic()
    for n in range(200):
        private_logger.error("record %d", n)
    emitting = time.monotonic() - started
    handler.flush()

    assert emitting < 0.5
    assert handler.dropped == 200


def test_records_of_the_redis_client_and_of_urllib3_are_not_stored() -> None:
    logging.getLogger("redis.connection").warning("reconnecting")
    logging.getLogger("urllib3.connectionpool").warning("retrying")
    logging.getLogger("tests.logstore").warning("kept")

    assert [r["message"] for r in stored(level="warning")] == ["kept"]


def test_what_the_writer_thread_logs_is_never_stored(
    private_logger: logging.Logger, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = RedisLogHandler(settings.REDIS_URL, key="moon:test-logs")
    private_logger.addHandler(handler)
    write = handler._write

    def chatty_write(batch: list[str]) -> None:
        private_logger.warning("writing %d records", len(batch))  # would loop forever if stored
        write(batch)

    monkeypatch.setattr(handler, "_write", chatty_write)

    private_logger.warning("one")
    handler.flush()
    time.sleep(0.05)
    handler.flush()

    assert redis_client.llen("moon:test-logs") == 1


def test_a_record_that_cannot_be_formatted_is_dropped_not_raised() -> None:
    handler = RedisLogHandler(settings.REDIS_URL, key="moon:test-logs")
    record = logging.LogRecord("tests", logging.INFO, __file__, 1, "%d tokens", ("many",), None)

    handler.handle(record)

    assert handler.dropped == 1


def test_a_forked_child_stores_its_records_too() -> None:
    logging.getLogger("tests.logstore").info("parent")
    root_store().flush()

    pid = os.fork()
    if pid == 0:  # the child: what a Celery prefork worker process does
        logging.getLogger("tests.logstore").info("child")
        root_store().flush()
        os._exit(0)
    os.waitpid(pid, 0)

    records = stored(logger="tests.logstore")
    assert [(r["message"], r["pid"]) for r in records] == [
        ("child", pid),
        ("parent", os.getpid()),
    ]


def test_an_unknown_level_is_refused() -> None:
    assert (level_number("warning"), level_number(None), level_number(40)) == (30, 0, 40)
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        level_number("loud")


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/srv/.venv/bin/celery", "-A", "moon", "worker", "--loglevel", "INFO"], "worker"),
        (["celery", "-A", "moon", "beat"], "beat"),
        (["manage.py", "listen_pumpfun"], "listener"),
        (["/srv/.venv/bin/gunicorn", "moon.wsgi"], "web"),
        (["manage.py", "refresh_tokens"], ""),
    ],
)
def test_the_process_role_comes_from_the_command_line(
    argv: list[str], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOON_PROCESS", raising=False)

    assert process_role(argv) == role


def test_moon_process_names_the_role_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOON_PROCESS", "worker")

    assert process_role(["gunicorn"]) == "worker"
