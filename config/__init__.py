"""Configuration: one typed settings object built from the environment in one place, the
Redis key names, the connection to the service's Redis, logging and outage tracking."""

from config import keys, logs, outage
from config.outage import is_outage, retry_on_outage
from config.preflight import RedisUnreachable, preflight
from config.redis import RedisTarget, arq_settings, connect, redis_target, redis_url, worker_arq_settings
from config.settings import MAX_PASSWORD, MIN_PASSWORD, ConfigError, Push, Settings, Smtp, Twilio, Webhooks

__all__ = [
    "MAX_PASSWORD", "MIN_PASSWORD", "ConfigError", "Push", "RedisTarget", "RedisUnreachable", "Settings", "Smtp", "Twilio", "Webhooks", "arq_settings",
    "connect", "is_outage", "keys", "logs", "outage", "preflight", "redis_target", "redis_url", "retry_on_outage",
    "worker_arq_settings",
]
