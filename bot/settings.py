"""The bot's configuration: one validated object, read from the environment and ``.env``."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.channels import Capabilities, QuietHours, zalo_capabilities
from core.people import SUPPORTED_LOCALES

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ntvt.db"
# Telegram's rule for a webhook's secret_token; ASCII only (str.isalnum would take "ệ").
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """The configuration is missing or malformed; the message is one line for the operator."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment (prefix ``NTVT_``)."""

    model_config = SettingsConfigDict(
        env_prefix="NTVT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str = DEFAULT_DATABASE_URL
    webhook_url: str | None = None
    # For invitation links (t.me/<username>?start=...); asked from Telegram when unset.
    bot_username: str | None = None
    webhook_secret: SecretStr | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: str = "vi"
    # Shown in the privacy notice. The controller: who decides on the data (by default the
    # standing office of the council that exists that day, as the loaded organisation names
    # it, never an abolished one); the contact: where residents exercise their rights (by
    # default that same office), with a phone, an e-mail and an address when set.
    privacy_controller: str | None = None
    privacy_contact: str | None = None
    privacy_phone: str | None = None
    privacy_email: str | None = None
    privacy_address: str | None = None
    # The ward's public Telegram channel (its numeric id, -100…; the bot must be an admin):
    # the lists put out for comment and the exemplars made known are posted there.
    public_channel: int | None = None
    retention_years: int = Field(default=5, ge=1, le=50)
    # What the bot keeps for its own work, in days (see core.retention): processed updates
    # (at least 2: Telegram redelivers an update for up to a day), updates set aside, the
    # texts of messages that went, dialogs nobody touched (a draft's resident is told the
    # day before, so at least 2). The daily purge runs at purge_time (local), batch rows to
    # a transaction.
    retention_updates_days: int = Field(default=30, ge=2, le=3650)
    retention_dead_letters_days: int = Field(default=90, ge=1, le=3650)
    retention_sent_days: int = Field(default=30, ge=1, le=3650)
    retention_draft_days: int = Field(default=30, ge=2, le=3650)
    purge_time: time = time(9, 0)
    purge_batch: int = Field(default=1000, ge=1, le=10_000)
    # Deadline notices: office hour, reminder offsets in working days, overdue notices at most,
    # days off and working days the government swaps each year (ISO dates, comma separated).
    office_time: time = time(8, 0)
    office_end: time = time(17, 0)
    reminder_offsets: str = "7,3,1"
    max_overdue: int = Field(default=5, ge=0, le=60)
    extra_days_off: str = ""
    extra_working_days: str = ""
    notice_interval: float = Field(default=60.0, gt=0)
    # The plan's monthly quota of exemplars per unit, and the day of the month units still at
    # zero are reminded of it.
    monthly_quota: int = Field(default=1, ge=0, le=100)
    quota_day: int = Field(default=20, ge=1, le=28)
    # The 2018 plan refuses year-end commendation to units that did not register for emulation;
    # the 2022 law dropped it as a legal ground, so a council may switch it off.
    require_registration: bool = True
    # Updates of different chats processed at once; one chat's updates are always in order.
    workers: int = Field(default=64, ge=1, le=4096)
    # Broadcasts: messages per second over all chats (Telegram allows about 30 without paying);
    # the paid mode sets allow_paid_broadcast and may go up to 1,000/s (Telegram Stars charged).
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    # Messages per second this process sends overall, replies and broadcasts together (a
    # share of Telegram's ~30/s: with several processes on one token, divide it among them).
    # Above 30 Telegram answers 429s; only a benchmark against a fake Bot API wants more.
    send_rate: float = Field(default=27.0, gt=0, le=10_000)
    paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=1000.0, gt=0, le=1000)
    # Bulk announcements wait for the morning between these hours (local time) unless urgent.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    # Only one process sends bulk messages: it holds a lease it renews; a dead holder's lease
    # lapses after this many seconds and another process takes over.
    lease_seconds: float = Field(default=30.0, ge=1, le=600)
    # Several processes on one database (PostgreSQL): each renews a lease saying it is alive
    # every heartbeat; one whose lease has not been renewed for alive_seconds is gone, and
    # the first live process to see it takes over at once the replies it had taken for
    # sending and the updates it stored and did not finish (bot.failover). A lapse is seen
    # within alive_seconds + heartbeat_seconds of the death.
    heartbeat_seconds: float = Field(default=1.0, ge=0.1, le=60)
    alive_seconds: float = Field(default=3.0, ge=0.3, le=600)
    # On SIGTERM a process drains: it takes no new update (the webhook answers 503, /healthz
    # says "draining"), finishes the turns it has and sends their replies for at most this
    # long, then hands the rest over and exits.
    drain_seconds: float = Field(default=20.0, ge=0, le=600)
    # How often each process looks for a plan loaded or a campaign launched by another one.
    directory_refresh: float = Field(default=30.0, gt=0)
    # The key inline buttons are signed with; derived from the bot's token when unset. Set it
    # to keep buttons valid across a token change, or to change it and void every button.
    button_secret: SecretStr | None = None
    # Lets /metrics be scraped from other hosts with "Authorization: Bearer <token>";
    # without it, only from loopback.
    metrics_token: SecretStr | None = None
    # Seconds between looks for stored updates left unprocessed (the database was away during
    # their turn, or an operator put a set-aside one back with `ntvt updates retry`).
    update_sweep: float = Field(default=60.0, gt=0)
    # How long a starting process waits for an unreachable database before giving up.
    database_wait: float = Field(default=60.0, ge=0)
    # Log lines as text (as always), or one JSON object per line for a log collector, with a
    # line per processed turn (bot.logs, bot.turn_log).
    log_format: Literal["text", "json"] = "text"
    # A Zalo Official Account (README, "Zalo"); POST /zalo/webhook answers only once the app
    # id and the OA secret key are set. The app's secret key (zalo_app_secret) refreshes the
    # OA's access token; the OA's secret key (zalo_secret_key) signs the webhook's events.
    zalo_app_id: str | None = None
    zalo_app_secret: SecretStr | None = None
    zalo_secret_key: SecretStr | None = None
    zalo_oa_id: str | None = None
    zalo_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    # Zalo's sending rules as public sources give them (check with Zalo before launch): no
    # message between the quiet hours (local time), none freely to a person silent for more
    # than the free window; then only the ZNS template, if one is configured.
    zalo_quiet_start: time = time(22, 0)
    zalo_quiet_end: time = time(6, 0)
    zalo_free_window_days: int = Field(default=7, ge=1, le=365)
    zalo_zns_template_id: str | None = None
    # How far an event's timestamp may be from our clock, in seconds, either way.
    zalo_signature_skew: float = Field(default=600.0, ge=1, le=7 * 86400)
    # Refresh the access token when less than this many seconds of it are left.
    zalo_token_margin: float = Field(default=600.0, ge=0, le=86400)
    # Photos and files residents send on Zalo are downloaded on arrival (Zalo's URLs expire)
    # into this directory, each at most this many bytes; kept like the other evidence.
    zalo_media_dir: str = "./zalo-media"
    zalo_media_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Messages a second this process sends through the OA API (Zalo's own limit is not
    # published: -32 answers slow it down further).
    zalo_send_rate: float = Field(default=20.0, gt=0, le=1000)
    # The secretariat's web desk (README, "The secretariat's web desk"): the public address
    # of the server that serves it (its pages are under /desk/ there), for the links /web
    # gives; /web says the desk is not set up while it is unset. A session lasts this long.
    desk_url: str | None = None
    desk_session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    # The port `ntvt chat` serves its desk on, on 127.0.0.1 (a free one when unset).
    desk_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("alive_seconds")
    @classmethod
    def _outlives_heartbeats(cls, value: float, info: ValidationInfo) -> float:
        heartbeat = info.data.get("heartbeat_seconds")
        if heartbeat is not None and value < 2 * heartbeat:
            raise ValueError(
                "must be at least twice NTVT_HEARTBEAT_SECONDS (one late heartbeat must not "
                "make a live process look gone)"
            )
        return value

    @field_validator("zalo_api_url", "zalo_oauth_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("desk_url")
    @classmethod
    def _desk_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://ntvt.example.gov.vn")
        return value.strip().rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not _TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (as Telegram)")
        return value

    @field_validator("button_secret", "metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters (a random string)")
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        try:
            days = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError("use working days before the deadline, e.g. 7,3,1") from None
        if any(day < 1 or day > 60 for day in days):
            raise ValueError("each offset must be 1 to 60 working days")
        return value

    @field_validator("extra_days_off", "extra_working_days")
    @classmethod
    def _iso_dates(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    date.fromisoformat(part.strip())
                except ValueError:
                    raise ValueError(f"{part.strip()!r} is not a date like 2018-02-14") from None
        return value

    def days(self, text: str) -> frozenset[date]:
        """Return the dates of a comma-separated setting."""
        return frozenset(date.fromisoformat(p.strip()) for p in text.split(",") if p.strip())

    def offsets(self) -> tuple[int, ...]:
        """Return the reminder offsets, largest first."""
        days = {int(part) for part in self.reminder_offsets.split(",") if part.strip()}
        return tuple(sorted(days, reverse=True))

    @property
    def bulk_rate(self) -> float:
        """Return the bulk messages per second in force (paid mode or not)."""
        return self.paid_broadcast_rate if self.paid_broadcast else self.broadcast_rate

    @property
    def tz(self) -> ZoneInfo:
        """Return the local time zone (Hà Nội by default)."""
        return ZoneInfo(self.timezone)

    @property
    def zalo_enabled(self) -> bool:
        """Tell whether a Zalo OA is configured well enough to take its webhook's events."""
        return bool(self.zalo_app_id) and self.zalo_secret_key is not None

    def zalo_capabilities(self) -> Capabilities:
        """Return the Zalo channel's capabilities with the configured sending rules."""
        return zalo_capabilities(
            quiet_hours=QuietHours(self.zalo_quiet_start, self.zalo_quiet_end),
            free_window_days=self.zalo_free_window_days,
            template_id=self.zalo_zns_template_id,
        )

    def token(self) -> str:
        """Return the bot token, or raise :class:`SettingsError` saying how to set it."""
        if self.telegram_token is None or not self.telegram_token.get_secret_value().strip():
            raise SettingsError(
                "NTVT_TELEGRAM_TOKEN is not set: put the token from @BotFather in the "
                "environment or in .env (or try the bot without one: ntvt chat)"
            )
        return self.telegram_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"NTVT_{'_'.join(str(p) for p in err['loc']).upper()}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None
