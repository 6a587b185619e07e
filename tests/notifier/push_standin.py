"""A Web Push service stand-in on loopback that does what a browser's push service and the
browser together do: check the VAPID signature (RFC 8292), then DECRYPT each message with
the device's own private key and auth secret (RFC 8291, aes128gcm) and record what the
service worker would read. Each `Device` is a browser: a P-256 key pair and a 16-byte auth
secret, made here, whose public half the service gets in the subscription."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support import free_port


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64u(point), "auth": b64u(self.auth)}}


@dataclass
class Push:
    device: str
    topic: str
    ttl: str
    urgency: str
    vapid_key: str  # the `k` the request was signed with
    payload: dict[str, Any]
    at: float


class PushStandIn:
    def __init__(self) -> None:
        self.port = free_port()
        self.devices: dict[str, Device] = {}
        self.received: list[Push] = []
        self.rejected: list[tuple[str, int, str]] = []  # (device, status, why)
        self.gone: set[str] = set()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def device(self, name: str) -> Device:
        dev = Device(name, f"http://127.0.0.1:{self.port}/push/{name}")
        self.devices[name] = dev
        return dev

    def start(self) -> PushStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as the real service answers: a client's pooled connection is reused
            # rather than a new connection (and thread here) made for every message.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = standin.accept(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"http://127.0.0.1:{standin.port}/msg/{time.time_ns()}")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.rejected.clear()
            self.gone.clear()

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        name = path.rsplit("/", 1)[-1]
        headers = {k.lower(): v for k, v in headers.items()}
        dev = self.devices.get(name)
        if dev is None or name in self.gone:
            return self._reject(name, 410, "unsubscribed")
        key = self._check_vapid(headers.get("authorization", ""))
        if key is None:
            return self._reject(name, 403, "bad VAPID signature")
        if headers.get("content-encoding") != "aes128gcm":
            return self._reject(name, 400, "not aes128gcm")
        try:
            plain = http_ece.decrypt(body, private_key=dev.private_key, auth_secret=dev.auth, version="aes128gcm")
        except Exception as exc:  # anything that does not decrypt is a broken message
            return self._reject(name, 400, f"does not decrypt: {exc}")
        with self.lock:
            self.received.append(Push(name, headers.get("topic", ""), headers.get("ttl", ""), headers.get("urgency", ""),
                                      key, json.loads(plain), time.time()))
        return 201

    def _reject(self, name: str, status: int, why: str) -> int:
        with self.lock:
            self.rejected.append((name, status, why))
        return status

    def _check_vapid(self, header: str) -> str | None:
        """`vapid t=<JWT>, k=<key>`: ES256 over the JWT by k, aud = this origin, not expired."""
        if not header.startswith("vapid "):
            return None
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        try:
            head, claims_b64, sig = token.split(".")
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
            raw = unb64u(sig)
            public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                          f"{head}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
            claims = json.loads(unb64u(claims_b64))
        except (ValueError, InvalidSignature):
            return None
        if claims.get("aud") != f"http://127.0.0.1:{self.port}" or claims.get("exp", 0) < time.time():
            return None
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            return None
        return key

    def to(self, name: str) -> list[Push]:
        with self.lock:
            return [p for p in self.received if p.device == name]

    def shown(self, name: str) -> dict[str, Push]:
        """What the device shows: a message with the Topic (and tag) of an earlier one
        replaces it (RFC 8030 §5.4; showNotification with the same tag)."""
        return {p.topic: p for p in self.to(name)}

    def all(self) -> list[Push]:
        with self.lock:
            return list(self.received)
