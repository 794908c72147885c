"""Settings validation, the one-line failure, and token redaction."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.entrypoints.logs import RedactTokens, setup_logging
from config.settings import ConfigError, Settings, describe_validation_error, host_port

ROOT = str(Path(__file__).resolve().parents[3])
REAL_LOOKING = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_x"


def test_settings_parse_admin_ids_and_normalise_urls():
    s = Settings(
        _env_file=None,
        admin_ids="1, 2;3",
        telegram_api_url="http://127.0.0.1:8081/bot/",
        database_url="postgres://u@h/db",
    )
    assert s.admin_ids == [1, 2, 3]
    assert s.telegram_api_url == "http://127.0.0.1:8081"
    assert s.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("telegram_bot_token", "your-token-here", "TELEGRAM_BOT_TOKEN"),
        ("telegram_bot_token", "123:abc", "TELEGRAM_BOT_TOKEN"),
        ("admin_ids", "alice", "ADMIN_IDS"),
        ("default_timezone", "Mars/Olympus", "DEFAULT_TIMEZONE"),
        ("default_language", "fr", "DEFAULT_LANGUAGE"),
        ("telegram_api_url", "ftp://x", "TELEGRAM_API_URL"),
    ],
)
def test_bad_settings_give_one_line_naming_the_setting(field, value, fragment):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, **{field: value})
    line = describe_validation_error(info.value)
    assert (
        fragment in line and "\n" not in line and value not in line.split(":", 1)[1]
    ) or field != "telegram_bot_token"


def test_token_is_a_secret_and_required_only_when_asked():
    s = Settings(_env_file=None, telegram_bot_token=REAL_LOOKING)
    assert REAL_LOOKING not in repr(s) and REAL_LOOKING not in str(s.model_dump())
    assert s.token() == REAL_LOOKING
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        Settings(_env_file=None).token()


def test_cli_exits_2_with_one_line_on_bad_settings(tmp_path):
    env = {
        "PATH": "",
        "TELEGRAM_BOT_TOKEN": "placeholder-token",
        "HOME": str(tmp_path),
        "PYTHONPATH": ROOT,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in proc.stderr
    assert "placeholder-token" not in proc.stderr


def test_cli_run_without_token_exits_2(tmp_path):
    env = {
        "PATH": "",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "PYTHONPATH": ROOT,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in proc.stderr


def test_redaction_filter_hides_tokens_in_messages_args_and_tracebacks(caplog):
    logger = logging.getLogger("redaction-test")
    filt = RedactTokens((REAL_LOOKING,))
    logger.addFilter(filt)
    try:
        with caplog.at_level(logging.INFO, logger="redaction-test"):
            logger.info("GET https://api.telegram.org/bot%s/getMe", REAL_LOOKING)
            logger.info("other token 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw in text")
            try:
                raise RuntimeError(f"failed for {REAL_LOOKING}")
            except RuntimeError:
                logger.exception("boom")
    finally:
        logger.removeFilter(filt)
    text = caplog.text
    assert REAL_LOOKING not in text and "987654321:ZZH" not in text
    assert "[REDACTED]" in text


def test_a_demo_token_never_holds_a_placeholder_word_the_settings_refuse(monkeypatch):
    from itertools import chain, repeat

    from bot.offline import runtime

    # The first draw spells "xxx…" (settings take it for a placeholder); the next is kept.
    letters = chain(repeat("x", 35), repeat("a"))
    monkeypatch.setattr(runtime.secrets, "choice", lambda _alphabet: next(letters))
    token = runtime.demo_token()
    assert token == "100000001:" + "a" * 35
    assert Settings(_env_file=None, telegram_bot_token=token).token() == token


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("webhook_url", "bot.example.org/telegram", "WEBHOOK_URL must be the public https URL"),
        ("webhook_listen", "8080", "WEBHOOK_LISTEN must be host:port"),
        ("webhook_secret", "has spaces and ü", "WEBHOOK_SECRET must be 1-256 characters"),
        ("webhook_path", "telegram", "WEBHOOK_PATH must be a path"),
        ("webhook_max_connections", "101", "WEBHOOK_MAX_CONNECTIONS"),
        ("log_format", "xml", "LOG_FORMAT must be text or json"),
    ],
)
def test_bad_webhook_settings_name_the_setting_never_the_value(field, value, fragment):
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **{field: value})
    line = describe_validation_error(caught.value)
    assert fragment in line
    if field == "webhook_secret":
        assert value not in line


def test_webhook_settings_and_their_defaults():
    plain = Settings(_env_file=None)
    assert not plain.webhook and plain.webhook_path == "/telegram"
    assert plain.webhook_listen == "127.0.0.1:8080" and plain.metrics_listen is None
    hooked = Settings(
        _env_file=None, webhook_url="https://bot.example.org/telegram", webhook_secret="s3cr-t_"
    )
    assert hooked.webhook and "s3cr" not in repr(hooked)
    assert host_port("[::1]:9100") == ("::1", 9100)


def test_cli_run_refuses_a_webhook_without_its_secret(tmp_path):
    env = {
        "PATH": "",
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
        "WEBHOOK_URL": "https://bot.example.org/telegram",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "PYTHONPATH": ROOT,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2 and "WEBHOOK_SECRET is not set" in proc.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before anything was touched


def test_json_lines_carry_an_updates_fields_and_never_a_secret(capsys):
    secret = "hook-secret-value_123"
    token = "123456789:" + "B" * 35
    setup_logging("INFO", secrets=(token, secret), json_lines=True)
    try:
        log = logging.getLogger("bot.updates")
        log.info(
            "update %(update_id)s %(kind)s",
            {"update_id": 5, "kind": "message"},
            extra={"update": {"update_id": 5, "kind": "message", "chat": 42, "ms": 3.5}},
        )
        logging.getLogger("x").warning("header was %s at /bot%s/getMe", secret, token)
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError:
            logging.getLogger("x").exception("boom")
    finally:
        setup_logging("WARNING")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == "update 5 message" and first["chat"] == 42
    assert first["level"] == "INFO" and first["logger"] == "bot.updates" and first["ms"] == 3.5
    assert secret not in lines[1] and token not in lines[1] and "[REDACTED]" in second["message"]
    assert "Traceback" in third["exception"] and secret not in lines[2]
