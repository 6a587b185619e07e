"""Loopback stand-ins for the outside world: a real SMTP server (aiosmtpd) and an HTTP
server that answers like Twilio's Messages API, recording what it was sent and answering
500/429 when told to."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiosmtpd.controller import Controller

from tests.support import free_port


@dataclass
class Mail:
    to: list[str]
    message: Message
    at: float

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        return ""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink.record(Mail(list(envelope.rcpt_tos), message_from_bytes(envelope.original_content), time.time()))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def record(self, mail: Mail) -> None:
        with self.lock:
            self.mails.append(mail)

    def start(self) -> SmtpSink:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self) -> None:
        with self.lock:
            self.mails.clear()

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.to]

    def all(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)


@dataclass
class Sms:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None
    at: float


@dataclass
class TwilioStandIn:
    """Twilio's Messages API on loopback: POST creates, GET lists (newest first)."""

    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-auth-token"
    port: int = field(default_factory=free_port)
    messages: list[Sms] = field(default_factory=list)
    requests: list[tuple[str, float]] = field(default_factory=list)  # (method, time) of every Messages call
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers for the next POSTs
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as the real service answers: a client's pooled connection is reused
            # rather than a new connection (and thread here) made for every message.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                status, body, headers = standin.create(self.path, form)
                self._answer(status, body, headers)

            def do_GET(self) -> None:
                status, body = standin.list(self.path)
                self._answer(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="twilio-standin").start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.requests.clear()
            self.script.clear()

    def fail_next(self, *answers: tuple[int, dict[str, str]]) -> None:
        with self.lock:
            self.script.extend(answers)

    def create(self, path: str, form: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if not path.endswith(f"/Accounts/{self.account_sid}/Messages.json"):
            return 404, {"code": 20404, "message": "not found", "status": 404}, {}
        with self.lock:
            self.requests.append(("POST", time.time()))
            if self.script:
                status, headers = self.script.pop(0)
                return status, {"code": 20000 + status, "message": "scripted failure", "status": status}, headers
            sms = Sms(f"SM{len(self.messages):032x}", form.get("To", ""), form.get("From", ""), form.get("Body", ""),
                      form.get("StatusCallback"), time.time())
            self.messages.append(sms)
        return 201, self._resource(sms), {}

    def list(self, path: str) -> tuple[int, Any]:
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query))
        with self.lock:
            self.requests.append(("GET", time.time()))
            found = [s for s in reversed(self.messages) if s.to == query.get("To", s.to)]
        size = int(query.get("PageSize", "50"))
        return 200, {"messages": [self._resource(s) for s in found[:size]], "page": 0, "page_size": size,
                     "uri": parts.path, "first_page_uri": parts.path, "next_page_uri": None, "previous_page_uri": None}

    def _resource(self, sms: Sms) -> dict[str, Any]:
        return {"sid": sms.sid, "account_sid": self.account_sid, "to": sms.to, "from": sms.sender, "body": sms.body,
                "status": "queued", "num_segments": "1", "direction": "outbound-api"}

    def to(self, number: str) -> list[Sms]:
        with self.lock:
            return [s for s in self.messages if s.to == number]

    def all(self) -> list[Sms]:
        with self.lock:
            return list(self.messages)
