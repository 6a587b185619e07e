"""Configuration: one typed settings object built from the environment in one place."""

from config.settings import ConfigError, Settings

__all__ = ["ConfigError", "Settings"]
