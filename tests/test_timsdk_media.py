"""Images and files sent from Tencent's own tim-js-sdk (2.27.6, unmodified, in Node) with
Tencent's upload plugin (tim-upload-plugin 1.4.3, unmodified) against a live daphne:
the SDK's ``im_cos_msg.pre_sig``, the plugin's PUT to Hutong's upload endpoint, the
send naming the upload; bob receives them on Tencent's SDK and on Hutong's own
protocol, and the links give back the bytes alice put."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import urllib.request
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from PIL import Image

from bench.daphne import free_port
from im.models import Message, Upload
from tests.conftest import SDKAPPID, make_sig
from tests.live import LiveServer, net_online
from tests.media import S3_KEYS, image_bytes, new_bucket
from tests.timsdk_driver import proxy_server, run_scenario

pytestmark = pytest.mark.django_db(transaction=True)

DEPLOYED = bool(os.environ.get("DATABASE_URL"))

IMAGE_BAD_TYPE = 2252
FILE_NAME = "季度报告 Q3.pdf"


@pytest.fixture
def media_live(transactional_db, request, tmp_path) -> Iterator[LiveServer]:
    """daphne with its media in files under the test's directory (the first pass) or in
    an S3 bucket (the deployed pass: moto, as tests/test_browser_media.py), and
    ``IM_PUBLIC_URL`` naming itself: the file system store's links are paths, which TIM
    frames carry absolute."""
    port = free_port()
    env = {"HUTONG_VAR_DIR": str(tmp_path / "var"), "IM_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    if DEPLOYED:
        endpoint = request.getfixturevalue("s3_server")
        env |= {
            "IM_S3_BUCKET": new_bucket(endpoint),
            "IM_S3_ENDPOINT_URL": endpoint,
            "IM_S3_REGION": "us-east-1",
            "IM_S3_ACCESS_KEY_ID": S3_KEYS["access_key"],
            "IM_S3_SECRET_ACCESS_KEY": S3_KEYS["secret_key"],
            "IM_S3_ADDRESSING_STYLE": "path",
        }
    server = LiveServer(env=env, port=port).start()
    try:
        yield server
    finally:
        server.stop()


def fetch(server: str, url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET a media link as bob's page would: the file system store's are paths on
    Hutong's origin, an S3 store's absolute."""
    with urllib.request.urlopen(urljoin(server + "/", url)) as answer:
        return answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_alice_sends_bob_an_image_and_a_file_from_tencents_sdk(media_live, cast):
    live = media_live
    picture = image_bytes("PNG", (1600, 1000))
    document = bytes(range(256)) * 300 + b"%%EOF"
    facts = await run_scenario(
        "media",
        {
            "sdkappid": SDKAPPID,
            "proxyServer": proxy_server(live.url),
            "sigs": {uid: make_sig(uid) for uid in ("alice", "bob")},
            "image": base64.b64encode(picture).decode(),
            "file": base64.b64encode(document).decode(),
            "fileName": FILE_NAME,
        },
    )
    assert facts["unhandledRejections"] == []

    # The sender's SDK: sent, with the links Hutong answered for the original.
    sent = facts["imageSent"]
    assert sent["code"] == 0 and sent["status"] == "success"
    assert facts["imageProgress"] == 1
    original = sent["versions"][0]
    assert (original["width"], original["height"]) == (1600, 1000)  # read from its link
    # A link of this pass's store: Hutong's download view, or the bucket's.
    assert ("/im/media/?t=" in original["imageUrl"]) is not DEPLOYED
    status, body, _ = fetch(live.url, original["imageUrl"])
    assert status == 200 and sha(body) == sha(picture)

    # The receiver's SDK: the same message, TIM's three versions, Hutong's fresh links.
    got = facts["imageReceived"]
    assert got["ID"] == sent["ID"] and got["type"] == "TIMImageElem" and got["from"] == "alice"
    by_type = {v["sizeType"]: v for v in got["versions"]}
    assert all(v["url"].startswith("http://127.0.0.1:") for v in got["versions"])
    assert by_type[1]["width"] == 1600 and by_type[1]["size"] == len(picture)
    assert (by_type[2]["width"], by_type[2]["height"]) == (1152, 720)  # large: 720 short side
    assert (by_type[3]["width"], by_type[3]["height"]) == (317, 198)  # thumb: 198
    status, body, headers = fetch(live.url, by_type[1]["url"])
    assert status == 200 and sha(body) == sha(picture) and headers["content-type"] == "image/png"
    for size_type, side in ((2, 720), (3, 198)):
        status, body, _ = fetch(live.url, by_type[size_type]["url"])
        with Image.open(io.BytesIO(body)) as derived:
            assert status == 200 and min(derived.size) == side

    # The file: its own name (not the one the SDK made for the upload), size and bytes.
    file_sent = facts["fileSent"]
    assert file_sent["code"] == 0
    got_file = facts["fileReceived"]
    assert got_file["ID"] == file_sent["ID"] and got_file["type"] == "TIMFileElem"
    assert got_file["fileName"] == FILE_NAME and got_file["fileSize"] == len(document)
    assert got_file["fileUrl"].startswith("http://127.0.0.1:")
    status, body, headers = fetch(live.url, got_file["fileUrl"])
    assert status == 200 and body == document
    assert headers["content-disposition"].startswith("attachment")

    # Text named .png: uploaded by the SDK, refused by Pillow with TIM's code; nothing
    # sent, nothing kept; the conversation goes on.
    assert facts["fakeRefused"] == {"code": IMAGE_BAD_TYPE, "status": "fail"}
    assert facts["nextReceived"] == {"type": "TIMTextElem", "text": "after"}
    stored = [m async for m in Message.objects.order_by("seq").values_list("type", flat=True)]
    assert stored == ["TIMImageElem", "TIMFileElem", "TIMTextElem"]
    uploads = [u async for u in Upload.objects.order_by("pk")]
    assert [(u.kind, u.is_ready, u.message_id is not None) for u in uploads] == [
        ("image", True, True),
        ("file", True, True),
    ]
    assert uploads[0].size == len(picture) and uploads[1].size == len(document)

    # Bob on Hutong's own protocol: the same two media messages, links that work.
    bob = await net_online(live.ws_url, "bob")
    page = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    await bob.close()
    image, file, text = page["messageList"]
    assert image["ID"] == sent["ID"] and image["type"] == "TIMImageElem"
    original_url = image["payload"]["imageInfoArray"][0]["url"]
    assert sha(fetch(live.url, original_url)[1]) == sha(picture)
    assert file["ID"] == file_sent["ID"] and file["payload"]["fileName"] == FILE_NAME
    assert fetch(live.url, file["payload"]["fileUrl"])[1] == document
    assert text["payload"]["text"] == "after"
