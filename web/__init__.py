"""The web process: the Starlette app (API, pages, `/ws`) and its entry point."""

from web.app import create_app

__all__ = ["create_app"]
