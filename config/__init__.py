"""Configuration: one typed settings object built from the environment in one place, the
Redis key names, and the connection to the service's Redis."""

from config import keys
from config.redis import RedisTarget, arq_settings, connect, redis_target, redis_url
from config.settings import ConfigError, Push, Settings, Smtp, Twilio

__all__ = [
    "ConfigError", "Push", "RedisTarget", "Settings", "Smtp", "Twilio", "arq_settings", "connect", "keys", "redis_target",
    "redis_url",
]
