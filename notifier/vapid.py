"""The VAPID key that signs every push request (RFC 8292): made once and kept.

VAPID_PRIVATE_KEY (PEM or base64url raw) wins; otherwise the first process to need it
writes DATA_DIR/vapid/private_key.pem (0600, created atomically, so two processes starting
together agree on one key) and every later process reads it. A new key would orphan every
browser's subscription, so it is never regenerated while that file exists. Processes on
different hosts must share VAPID_PRIVATE_KEY. The key is never logged.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

from config import Settings, keys


def _from_text(text: str) -> Vapid:
    if "BEGIN" in text:
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


def _load_or_create(path: Path) -> Vapid:
    if path.exists():
        return Vapid.from_pem(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = Vapid()
    fresh.generate_keys()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, fresh.private_pem())
        os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process won the race: then its key is the key
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return Vapid.from_pem(path.read_bytes())


@lru_cache(maxsize=4)
def _vapid(configured: str | None, data_dir: Path) -> Vapid:
    return _from_text(configured) if configured else _load_or_create(data_dir / keys.VAPID_KEY_FILE)


def vapid_key(settings: Settings) -> Vapid:
    return _vapid(settings.push.vapid_private_key, settings.data_dir)


def application_server_key(settings: Settings) -> str:
    """The public key browsers pass to PushManager.subscribe (uncompressed point, base64url)."""
    public = vapid_key(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(public)
