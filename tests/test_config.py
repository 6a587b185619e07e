"""Settings: every variable read in one place; a bad value names itself."""

from __future__ import annotations

import pytest

from config import ConfigError, Settings


def test_defaults_match_the_contract() -> None:
    s = Settings.from_env({})
    assert s.redis_url is None and s.port == 8000
    assert s.deadline_s == {"red": 3600, "amber": 86400, "green": 172800}
    assert (s.price_min, s.price_max, s.quality_weight) == (18.0, 32.0, 0.6)
    assert (s.release, s.lockout_attempts, s.lockout_s) == ("all", 5, 900)
    assert (s.sms_fallback_s, s.reminder_at, s.public_url) == (900, 0.75, "http://localhost:8000")
    assert s.smtp.host is None and s.twilio.account_sid is None
    # SMTP_STARTTLS unset: STARTTLS when the server offers it (a plain loopback server works).
    assert s.smtp.starttls is None
    assert (s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism) == (3, 65536, 4)


def test_public_url_default_is_the_contracts_whatever_the_port() -> None:
    # Every process must agree on it (the worker has no PORT): Twilio signs callbacks over it.
    assert Settings.from_env({"PORT": "9123"}).public_url == "http://localhost:8000"
    assert Settings.from_env({"PORT": "9123", "PUBLIC_URL": "http://localhost:9123/"}).public_url == "http://localhost:9123"


def test_notify_behind_is_read_in_milliseconds() -> None:
    assert Settings.from_env({}).notify_behind_s == 0.3
    assert Settings.from_env({"NOTIFY_BEHIND_MS": "0"}).notify_behind_s == 0
    assert Settings.from_env({"NOTIFY_BEHIND_MS": "1500"}).notify_behind_s == 1.5


def test_values_are_parsed() -> None:
    s = Settings.from_env({"DEADLINE_RED_S": "60", "PRICE_MIN": "20.5", "RELEASE": "tiered", "SMTP_STARTTLS": "false", "PUBLIC_URL": "https://x.test/"})
    assert s.window_s("red") == 60 and s.price_min == 20.5 and s.release == "tiered"
    assert s.smtp.starttls is False and s.public_url == "https://x.test"
    cheap = Settings.from_env({"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "64"})
    assert (cheap.argon2_time_cost, cheap.argon2_memory_kib) == (1, 64)


@pytest.mark.parametrize("env, name", [
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"DEADLINE_AMBER_S": "-5"}, "DEADLINE_AMBER_S"),
    ({"QUALITY_WEIGHT": "1.5"}, "QUALITY_WEIGHT"),
    ({"RELEASE": "sometimes"}, "RELEASE"),
    ({"PRICE_MIN": "40"}, "PRICE_MAX"),
    ({"LOCKOUT_ATTEMPTS": "0"}, "LOCKOUT_ATTEMPTS"),
    ({"SMTP_STARTTLS": "perhaps"}, "SMTP_STARTTLS"),
    ({"ADMIN_EMAIL": "a@b.test"}, "ADMIN_PASSWORD"),
    ({"ARGON2_TIME_COST": "0"}, "ARGON2_TIME_COST"),
    ({"ARGON2_MEMORY_KIB": "16"}, "ARGON2_MEMORY_KIB"),
    ({"ARGON2_MEMORY_KIB": "lots"}, "ARGON2_MEMORY_KIB"),
    ({"ADMIN_EMAIL": "a@b.test", "ADMIN_PASSWORD": "short"}, "ADMIN_PASSWORD"),
    ({"NOTIFY_BEHIND_MS": "-1"}, "NOTIFY_BEHIND_MS"),
    ({"NOTIFY_BEHIND_MS": "60000"}, "NOTIFY_BEHIND_MS"),
])
def test_bad_values_name_the_variable(env: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr() -> None:
    s = Settings.from_env({"ADMIN_EMAIL": "a@b.test", "ADMIN_PASSWORD": "very-secret-password", "SMTP_PASSWORD": "smtp-secret", "TWILIO_AUTH_TOKEN": "tw-secret"})
    text = repr(s)
    assert "very-secret-password" not in text and "smtp-secret" not in text and "tw-secret" not in text


@pytest.mark.parametrize("env, name", [
    ({"REDIS_SENTINELS": "redis://127.0.0.1:26379"}, "REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "sentinel://10.0.0.1:26379,10.0.0.2:26379"}, "REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "127.0.0.1"}, "REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "127.0.0.1:26379", "REDIS_URL": "redis://127.0.0.1:6379/3"}, "REDIS_URL and REDIS_SENTINELS"),
    ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
    ({"REDIS_WAIT_REPLICAS": "1"}, "REDIS_WAIT_REPLICAS"),
])
def test_redis_choice_is_checked_at_start(env: dict, name: str) -> None:
    # A URL among the sentinels was read as a host named "redis://127.0.0.1"; both set, the
    # sentinels won silently (and REDIS_URL's database number was dropped); replicas waited
    # for on the embedded Redis, which has none, made every change wait REDIS_WAIT_MS.
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_redis_choices_that_are_fine() -> None:
    s = Settings.from_env({"REDIS_SENTINELS": "127.0.0.1:26379, [::1]:26380", "REDIS_WAIT_REPLICAS": "1"})
    assert s.redis_sentinels == (("127.0.0.1", 26379), ("::1", 26380)) and s.redis_wait_replicas == 1
    assert Settings.from_env({"REDIS_URL": "rediss://h.test:6380/0", "REDIS_WAIT_REPLICAS": "1"}).redis_wait_replicas == 1
    assert Settings.from_env({"REDIS_URL": "unix:///tmp/r.sock"}).redis_url == "unix:///tmp/r.sock"


@pytest.mark.parametrize("env", [
    {"REDIS_SENTINELS": "redis://:hunter2-secret@10.0.0.1:26379"},
    {"REDIS_SENTINELS": "admin:hunter2-secret@10.0.0.1:26379"},
    {"REDIS_URL": "localhost:6379:hunter2-secret"},
    {"REDIS_URL": "redis://:hunter2-secret@h:6379", "REDIS_SENTINELS": "h:26379"},
])
def test_a_bad_redis_value_is_named_without_its_password(env: dict) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert "hunter2-secret" not in str(caught.value)
