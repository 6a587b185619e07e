"""Configuration: one typed settings object built from the environment in one place, the
Redis key names, and the connection to the service's Redis."""

from config import keys, logs, outage
from config.outage import is_outage, retry_on_outage
from config.redis import arq_settings, connect, redis_url, worker_arq_settings
from config.settings import MAX_PASSWORD, MIN_PASSWORD, ConfigError, Settings, Smtp, Twilio

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "ConfigError", "Settings", "Smtp", "Twilio", "arq_settings", "connect", "is_outage",
           "keys", "logs", "outage", "redis_url", "retry_on_outage", "worker_arq_settings"]
