"""kill -9 during a broadcast, then restart: nobody skipped, nobody doubled except in-flight sends.

Three trials here; `python -m tests.support.crashrun --trials 20` runs the README's figure.
Each kill comes after a random number of digests (seeded), not at a random time.
"""

from __future__ import annotations

import pytest

from tests.support.crashrun import trial

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kill_9_mid_broadcast_skips_nobody_and_doubles_no_known_send(tmp_path, seed):
    result = await trial(subscribers=100, budget=60.0, seed=seed, workdir=tmp_path)
    assert result.statuses == {"sent": 100}
    assert result.skipped == 0
    assert result.duplicates_known == 0
    # Only a send that was in flight at the kill may repeat.
    assert result.duplicates_in_flight <= result.in_flight_at_kill
