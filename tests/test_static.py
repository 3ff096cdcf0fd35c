"""Static files through WhiteNoise on a real daphne: compressed copies, cache headers,
CORS for the SDK's modules, and a 404 (not a 500) for paths that climb out."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_sdk_is_served_compressed_cached_and_to_other_origins(live):
    base = live.url.rstrip("/")
    status, headers, body = get(f"{base}/static/im/tim.js", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert b"export default" in gzip.decompress(body)
    assert "max-age=" in headers["Cache-Control"]
    # A page on another site may import the SDK as an ES module, which needs CORS.
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Type"].startswith("text/javascript")

    status, headers, body = get(f"{base}/static/im/tim/transport.js")
    assert status == 200 and "Content-Encoding" not in headers and b"export" in body


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/manage.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/im/%2e%2e/%2e%2e/chatsite/settings.py",
        "/static/..%2fmanage.py",
        "/static/im/missing.js",
    ],
)
def test_paths_outside_the_static_files_are_404(live, path):
    status, _, body = get(live.url.rstrip("/") + path)
    assert status == 404, (path, body[:200])
    assert b"SECRET_KEY" not in body and b"root:" not in body
