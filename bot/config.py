"""Settings from the environment (and a `.env` file), checked once at start.

A wrong value stops the bot with one line naming the setting and what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

FEISHU_DOMAIN = "https://open.feishu.cn"  # Lark (outside China): https://open.larksuite.com
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SettingError(ValueError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")


@dataclass(frozen=True)
class Settings:
    # Secrets are `repr=False`: a settings object in a log line or a traceback shows none.
    database_url: str = field(repr=False)  # may carry a password
    policy_file: Path | None
    log_level: str
    telegram_token: str | None = field(repr=False)
    telegram_api_base_url: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: str | None = field(repr=False)
    telegram_listen: tuple[str, int]
    slack_bot_token: str | None = field(repr=False)
    slack_signing_secret: str | None = field(repr=False)
    slack_app_token: str | None = field(repr=False)
    slack_api_base_url: str | None
    slack_listen: tuple[str, int]
    tick_seconds: float
    feishu_app_id: str | None = None
    feishu_app_secret: str | None = field(default=None, repr=False)
    feishu_encrypt_key: str | None = field(default=None, repr=False)
    feishu_verification_token: str | None = field(default=None, repr=False)
    feishu_listen: tuple[str, int] | None = None  # the callback URL's server; None: long connection
    feishu_domain: str = FEISHU_DOMAIN

    @property
    def platforms(self) -> list[str]:
        """The platforms with credentials; none means the console."""
        found = []
        if self.telegram_token:
            found.append("telegram")
        if self.slack_bot_token:
            found.append("slack")
        if self.feishu_app_id:
            found.append("feishu")
        return found


def load_settings(environ: Mapping[str, str] | None = None, env_file: str = ".env") -> Settings:
    """Read settings: the process environment wins over `.env`."""
    values: dict[str, str] = {}
    if environ is None:
        if Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ)
    else:
        values.update(environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    return Settings(
        database_url=_database_url(get("DATABASE_URL") or "sqlite:///visitdesk.db"),
        policy_file=_existing_file("POLICY_FILE", get("POLICY_FILE")),
        log_level=_choice("LOG_LEVEL", get("LOG_LEVEL") or "INFO", _LEVELS),
        telegram_token=_token("TELEGRAM_BOT_TOKEN", get("TELEGRAM_BOT_TOKEN"), ":"),
        telegram_api_base_url=_http_url("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL")),
        telegram_webhook_url=_http_url("TELEGRAM_WEBHOOK_URL", get("TELEGRAM_WEBHOOK_URL")),
        telegram_webhook_secret=_secret("TELEGRAM_WEBHOOK_SECRET", get("TELEGRAM_WEBHOOK_SECRET")),
        telegram_listen=_listen("TELEGRAM_LISTEN", get("TELEGRAM_LISTEN") or "127.0.0.1:8443"),
        slack_bot_token=_token("SLACK_BOT_TOKEN", get("SLACK_BOT_TOKEN"), "xoxb-"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=_token("SLACK_APP_TOKEN", get("SLACK_APP_TOKEN"), "xapp-"),
        slack_api_base_url=_http_url("SLACK_API_BASE_URL", get("SLACK_API_BASE_URL")),
        slack_listen=_listen("SLACK_LISTEN", get("SLACK_LISTEN") or "127.0.0.1:3000"),
        tick_seconds=_positive("TICK_SECONDS", get("TICK_SECONDS") or "5"),
        feishu_app_id=_token("FEISHU_APP_ID", get("FEISHU_APP_ID"), "cli_"),
        feishu_app_secret=get("FEISHU_APP_SECRET"),
        feishu_encrypt_key=get("FEISHU_ENCRYPT_KEY"),
        feishu_verification_token=get("FEISHU_VERIFICATION_TOKEN"),
        feishu_listen=_listen("FEISHU_LISTEN", listen)
        if (listen := get("FEISHU_LISTEN"))
        else None,
        feishu_domain=_origin("FEISHU_DOMAIN", get("FEISHU_DOMAIN") or FEISHU_DOMAIN),
    )


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError:
        raise SettingError("DATABASE_URL", "not a database URL") from None
    if url.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
        raise SettingError("DATABASE_URL", "use sqlite:///FILE or postgresql://USER@HOST/DB")
    return value


def _existing_file(name: str, value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise SettingError(name, f"no file at {value}")
    return path


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value.upper() not in allowed:
        raise SettingError(name, f"must be one of {', '.join(allowed)}")
    return value.upper()


def _token(name: str, value: str | None, marker: str) -> str | None:
    if value is not None and marker not in value:
        # Say what shape is expected, never echo the value: it is a secret.
        raise SettingError(name, f"does not look like a token (expected {marker!r} in it)")
    return value


def _secret(name: str, value: str | None) -> str | None:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    if value is not None and (not 1 <= len(value) <= 256 or set(value) - allowed):
        raise SettingError(name, "1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
    return value


def _http_url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(name, "must be an http(s):// URL")
    return value.rstrip("/")


def _origin(name: str, value: str) -> str:
    """An address with no path, as lark-oapi takes it (it refuses a path, even a lone "/"):
    https, or http on this machine for a test stand-in (the SDK's own rule)."""
    parsed = urlparse(value.rstrip("/"))
    local = parsed.scheme == "http" and parsed.hostname in LOOPBACK
    if not (parsed.scheme == "https" or local) or not parsed.netloc or parsed.path:
        raise SettingError(name, "must be https://HOST (http:// only for 127.0.0.1), no path")
    return value.rstrip("/")


def _listen(name: str, value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingError(name, "must be HOST:PORT, e.g. 0.0.0.0:8443")
    return host, int(port)


@contextmanager
def listening_at(name: str, address: tuple[str, int]) -> Iterator[None]:
    """Around a server starting at the HOST:PORT setting `name` gave: an address it cannot
    take (a port another program has, a host that is not this machine) stops the start with
    one line naming the setting, as a malformed one does."""
    try:
        yield
    except OSError as error:
        host, port = address
        raise SettingError(name, f"cannot listen at {host}:{port} ({_said(error)})") from None


def _said(error: OSError) -> str:
    """The system's words for it: asyncio rewords a bind error around the errno, and a failed
    name lookup's errno is its own (negative) code."""
    words = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror
    return (words or str(error)).lower()


def _positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingError(name, "must be a number of seconds") from None
    if number <= 0:
        raise SettingError(name, "must be more than 0")
    return number
