"""The overall sending budget: charts (bulky) let every waiting answer go first."""

from __future__ import annotations

import asyncio

from bot.delivery.ratelimit import BULKY, ChatPacedRateLimiter


async def test_an_answer_waits_behind_at_most_one_chart():
    limiter = ChatPacedRateLimiter(overall_max_rate=20)
    done: list[str] = []

    def request(label: str, lane: int | None):
        async def call() -> bool:
            done.append(label)
            return True

        return limiter.process_request(call, (), {}, "sendMessage", {}, lane)

    # The budget is spent; six charts queue for it, then one answer arrives.
    await asyncio.gather(*(request(f"warm {i}", None) for i in range(20)))
    # Tasks start in the order they were made: the charts queue first, the answer after them.
    charts = [asyncio.create_task(request(f"chart {i}", BULKY)) for i in range(6)]
    answer = asyncio.create_task(request("answer", None))
    await asyncio.gather(answer, *charts)
    sent = done[20:]
    assert sent.index("answer") <= 1, sent
    # The charts keep their own order among themselves.
    assert [s for s in sent if s != "answer"] == [f"chart {i}" for i in range(6)]
