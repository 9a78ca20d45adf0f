"""The load generator: signed requests at a fixed concurrency, each one timed.

`concurrency` workers share one keep-alive connection pool and take requests from a
common counter until `n` have been sent, so at every moment `concurrency` requests
are in flight (a closed-loop load, like staff hitting the bot at once).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from bench.slack_requests import signed

# Builds request i: (body, content type).
Body = Callable[[int], tuple[str, str]]
# Judges an answer: None if it is what a user should get, else why not.
Check = Callable[[int, str], str | None]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def pct(self, q: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def ok(self) -> int:
        return len(self.latencies) - len(self.errors)


def median(values: list[float]) -> float:
    return statistics.median(values)


async def drive(
    url: str, body: Body, *, n: int, concurrency: int, check: Check | None = None
) -> Result:
    result = Result()
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            while (i := next(counter)) < n:
                text, content_type = body(i)
                headers = signed(text, content_type=content_type)
                start = time.perf_counter()
                try:
                    async with http.post(url, data=text, headers=headers) as resp:
                        answer = await resp.text()
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result.latencies.append(time.perf_counter() - start)
                    result.statuses[0] += 1
                    result.errors.append(f"request {i}: {exc!r}")
                    continue
                result.latencies.append(time.perf_counter() - start)
                result.statuses[status] += 1
                problem = f"HTTP {status}" if status != 200 else None
                if problem is None and check is not None:
                    problem = check(i, answer)
                if problem is not None:
                    result.errors.append(f"request {i}: {problem}: {answer[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - start
    return result
