"""The feeds bench's file server answers as the bench assumes: a strong ETag, 304 to a matching
validator, and 200 with the same bytes when told to ignore validators. Nothing is timed here:
`python -m bench feeds` prints the figures."""

from __future__ import annotations

from pathlib import Path

import httpx

from bench import feeds


def test_the_file_server_answers_conditional_requests(tmp_path: Path) -> None:
    (tmp_path / "wfp_food_prices_yem.csv").write_bytes(b"date,market\n2020-01-15,Aden\n")
    with feeds.serve(tmp_path) as server:
        url = f"{server.base}/files/wfp_food_prices_yem.csv"
        first = httpx.get(url)
        etag = first.headers["ETag"]
        assert first.status_code == 200 and first.content.startswith(b"date,market")
        assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
        since = {"If-Modified-Since": first.headers["Last-Modified"]}
        assert httpx.get(url, headers=since).status_code == 304
        server.validators = False
        again = httpx.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 200 and again.content == first.content
        assert httpx.get(f"{server.base}/files/missing.csv").status_code == 404
        assert [s.status for s in server.served] == [200, 304, 304, 200, 404]
        assert server.count("/files/wfp_") == 4
