"""The CSRF token in pages is masked afresh on every render (BREACH: pages are compressed), and
the middleware takes it back masked or as the cookie holds it, and nothing else."""

from __future__ import annotations

import secrets

from web.csrf import mask, matches


def test_masked_tokens_differ_every_time_and_all_match() -> None:
    token = secrets.token_urlsafe(32)
    masked = {mask(token) for _ in range(20)}
    assert len(masked) == 20 and token not in "".join(masked)
    assert all(matches(m, token) for m in masked)
    assert matches(token, token)


def test_other_tokens_and_junk_do_not_match() -> None:
    token, other = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    for sent in (mask(other), other, "", "x", mask(token)[:-4], "%%%%", mask(token) + "AAAA", token[:-1]):
        assert not matches(sent, token), sent
