"""Run the demo: embedded Redis under DATA_DIR, demo data on first start, then the web and
worker processes of the Procfile until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

from config import Settings
from config.redis import redis_url
from scripts import demo_data
from service import Brokerage

SEEDED = "hb:demo:seeded"
LOGINS = "hb:demo:logins"


async def prepare(settings: Settings) -> dict[str, str] | None:
    service = await Brokerage.open(settings)
    try:
        if not await service.redis.set(SEEDED, "1", nx=True):
            saved = await service.redis.get(LOGINS)
            return json.loads(saved) if saved else None
        logins = await demo_data.seed(service, settings.admin_email, settings.admin_password)
        # Kept so that every restart prints every demo login again (demo passwords only).
        await service.redis.set(LOGINS, json.dumps(logins))
        return logins
    finally:
        await service.close()


def main() -> None:
    # The demo shows the framework's tiers at work unless the user chose otherwise.
    base_env = {**os.environ}
    base_env.setdefault("RELEASE", "tiered")
    # Links in the demo's emails and SMS point at the port it serves on.
    base_env.setdefault("PUBLIC_URL", f"http://localhost:{base_env.get('PORT') or 8000}")
    settings = Settings.from_env(base_env)
    url = redis_url(settings)
    logins = asyncio.run(prepare(settings))
    env = {**base_env, "REDIS_URL": url}
    procs = [
        subprocess.Popen([sys.executable, "-m", "web.main"], env=env),
        subprocess.Popen([sys.executable, "-m", "worker"], env=env),
    ]
    print(f"\nHome care brokerage demo on http://127.0.0.1:{settings.port}  (Redis: {url}, RELEASE={settings.release})")
    if logins:
        print("Demo logins:")
        for role, login in logins.items():
            print(f"  {role:9} {login}")
    else:
        print(f"Demo data already loaded in {settings.data_dir}; logins as printed on first start "
              f"(broker {demo_data.LOGINS['broker']} / {demo_data.PASSWORD}).")
    print("Press Ctrl-C to stop.\n", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        if settings.redis_url is None:
            stop_embedded(url)


def stop_embedded(url: str) -> None:
    """The demo started the embedded Redis; stop it (it saves first) so nothing lingers."""
    import redis

    try:
        redis.Redis.from_url(url).shutdown(save=True)
    except redis.exceptions.ConnectionError:
        pass  # a shutdown closes the connection before it answers


if __name__ == "__main__":
    main()
