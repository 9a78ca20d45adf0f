"""The tests' fake Slack Web API in a process of its own, with a control port for the bench.

Run as `python -m bench.fake_slack_proc`; it prints one JSON line with its URLs, then
serves until terminated. The control port answers what the fake recorded, so the load
generator can tell when every outbox message arrived, and how often each one did.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fake_slack import FakeSlack


def stats(fake: FakeSlack) -> dict[str, Any]:
    methods = Counter(c.method for c in fake.calls)
    posted = Counter(
        p["metadata"]["event_payload"]["outbox_id"]
        for p in fake.calls_to("chat.postMessage")
        if isinstance(p.get("metadata"), dict)
    )
    return {
        "methods": dict(methods),
        "posted": len(posted),
        "duplicates": sum(n - 1 for n in posted.values()),
        # Answers sent to a response_url: how a handler tells the user it could not go on.
        "responses": len(fake.responses),
    }


def control_app(fake: FakeSlack) -> web.Application:
    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats(fake))

    async def last_view(request: web.Request) -> web.Response:
        views = fake.calls_to("views.open")
        return web.json_response(views[-1]["view"] if views else None)

    async def reset(request: web.Request) -> web.Response:
        fake.calls.clear()
        fake.responses.clear()
        fake.channels.clear()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/stats", get_stats)
    app.router.add_get("/last_view", last_view)
    app.router.add_post("/reset", reset)
    return app


async def main() -> None:
    fake = FakeSlack(token="xoxb-test-token")
    api = await fake.start()
    runner = web.AppRunner(control_app(fake), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    control = f"http://127.0.0.1:{runner.addresses[0][1]}"
    print(json.dumps({"api": api, "base": fake.base_url, "control": control}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
