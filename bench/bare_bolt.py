"""The floor: a bare slack-bolt AsyncApp on aiohttp that acks /incident and opens a view.

It answers the same signed request as safecontact, on the same stack (bolt's own
aiohttp adapter), and calls views.open on the same fake Slack with the same view
safecontact opens (read once from a file, so the bare app does no rendering). What
safecontact costs above this is what our code adds.

Run as `python -m bench.bare_bolt --port P --api URL --view FILE`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.slack_requests import SECRET, TOKEN


def build(api_url: str, view: dict[str, Any]) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        name="bare-bolt",
    )

    @app.command("/incident")
    async def incident(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True, help="the fake Slack's Web API base URL")
    parser.add_argument("--view", required=True, help="JSON file with the view to open")
    args = parser.parse_args()
    view = json.loads(Path(args.view).read_text())
    web_app = build(args.api, view).web_app(path="/slack/events")
    web_app.router.add_get("/healthz", healthz)
    web.run_app(web_app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
