"""Log output for every process (web, worker): one line per event, nothing personal in it.

Third-party loggers (uvicorn, arq) format their own messages, some with a client's address
or the request's query string (uvicorn logs `WebSocket /ws?token=...` at INFO). Rather than
trust each of them, every record passes one filter on the root handler that rewrites tokens,
email addresses, phone numbers, client addresses and credentials in URLs before it is
written. Tracebacks are folded into the same line (text) or a field (json), so a log shipper
sees one event per line. `LOG_FORMAT=json` is for production log pipelines.
"""

from __future__ import annotations

import json
import logging
import re
import time

# Ordered: credentials in URLs before addresses, so `redis://user:pw@host` loses the password.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\b(token|access_token|session|csrf_token|password|after)=[^&\s\"']*"), r"\1=[redacted]"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@"), r"\1[redacted]@"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"\+\d{7,15}\b|\b0\d{9,10}\b"), "[phone]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "[address]"),
    (re.compile(r"(?i)\[?\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b\]?|\[?(?:[0-9a-f]{1,4}:)*::(?:[0-9a-f]{1,4}\b:?)*\]?"), "[address]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    """Rewrites the record's message (and exception text) in place before any formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string in someone's log call: keep the raw template
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # exc_text carries it now, redacted
        return True


class OneLine(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


class Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


# Loggers that bring their own handlers or are switched off by someone's dictConfig.
_THIRD_PARTY = ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker", "arq.jobs", "arq.connections", "arq.cron")


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Route every logger through one redacting handler on the root; safe to call twice."""
    handler = logging.StreamHandler()
    handler.setFormatter(Json() if fmt == "json" else OneLine())
    handler.addFilter(Redact())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in [*_THIRD_PARTY, *logging.root.manager.loggerDict]:
        logger = logging.getLogger(name)
        logger.disabled = False
        if name in _THIRD_PARTY or name.split(".")[0] in ("matcher", "notifier", "realtime", "web", "accounts", "config", "geo"):
            for old in list(logger.handlers):
                logger.removeHandler(old)
            logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # access logs stay off
