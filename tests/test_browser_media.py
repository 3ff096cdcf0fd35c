"""Image, file, video and voice messages in real headless Chromium, between two users' pages.

The media store is the file system default in the embedded pass (uploads and downloads
through Hutong's own views), and moto's S3 server in the deployed pass (PostgreSQL +
Redis), where the browser PUTs straight to the store with a presigned URL and fetches
presigned links. Uploads are throttled with Chromium's network emulation so that a
20 MB file's progress bar can be seen moving on loopback.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from im.models import Message
from tests.browser import MEDIA_ARGS, chromium
from tests.live import LiveServer
from tests.media import S3_KEYS, image_bytes, new_bucket
from tests.test_browser_messaging import reload, sign_in, site_users, start_chat  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("site_users")]

T = TypeVar("T")

DEPLOYED = bool(os.environ.get("DATABASE_URL"))


@pytest.fixture
def media_live(transactional_db, request, tmp_path) -> Iterator[LiveServer]:
    """The chat site on daphne, its media on this pass's store (see the module's doc)."""
    env = {"HUTONG_VAR_DIR": str(tmp_path / "var")}
    if DEPLOYED:
        endpoint = request.getfixturevalue("s3_server")
        bucket = new_bucket(endpoint)
        env |= {
            "IM_S3_BUCKET": bucket,
            "IM_S3_ENDPOINT_URL": endpoint,
            "IM_S3_REGION": "us-east-1",
            "IM_S3_ACCESS_KEY_ID": S3_KEYS["access_key"],
            "IM_S3_SECRET_ACCESS_KEY": S3_KEYS["secret_key"],
            "IM_S3_ADDRESSING_STYLE": "path",
        }
    server = LiveServer(env=env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def media_browser() -> Iterator[Browser]:
    with chromium(MEDIA_ARGS) as browser:
        yield browser


def throttle_uploads(page: Page, bytes_per_second: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def rows(page: Page, msg_type: str):
    return page.locator(f"[data-testid=message-row]:has([data-type={msg_type}])")


def attach(page: Page, path: Path | None = None, *, name: str = "", mime: str = "", data=b""):
    files = str(path) if path else {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files("[data-testid=attach-input]", files=files)


def test_alice_sends_bob_an_image_a_20_mb_file_and_a_voice_message(
    media_live, media_browser, tmp_path
):
    bob = sign_in(media_browser, media_live, "bob")
    alice = sign_in(media_browser, media_live, "alice")
    start_chat(alice, "bob")

    # An image: a thumbnail on both sides, the large version in the lightbox.
    attach(alice, name="photo.png", mime="image/png", data=image_bytes("PNG", (1600, 1000)))
    sent_image = rows(alice, "TIMImageElem")
    expect(sent_image).to_have_attribute("data-status", "success")
    image = rows(bob, "TIMImageElem").locator("[data-testid=image-thumbnail]")
    expect(image).to_be_visible()
    bob.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    # TIM's thumbnail: the short side 198 px.
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [317, 198]
    image.click()
    large = bob.locator("[data-testid=lightbox-image]")
    expect(large).to_be_visible()
    bob.wait_for_function("img => img.naturalWidth === 1152", arg=large.element_handle())
    # "Open the original": a new tab showing the full 1600 px image (a download would
    # leave it blank).
    with bob.context.expect_page() as opening:
        bob.click("[data-testid=lightbox-original]")
    tab = opening.value
    tab.wait_for_function(
        "() => document.contentType === 'image/png' && document.images[0]?.naturalWidth === 1600"
    )
    tab.close()
    bob.click("[data-testid=lightbox-close]")
    expect(bob.locator("[data-testid=lightbox]")).to_be_hidden()

    # A 20 MB file, its progress bar moving on alice's page while it goes up.
    data = secrets.token_bytes(20 * 1024 * 1024)
    big = tmp_path / "关于 <b>数据<i>.bin"
    big.write_bytes(data)
    throttle_uploads(alice, 8 * 1024 * 1024)
    attach(alice, big)
    sending = rows(alice, "TIMFileElem")
    bar = sending.locator("[data-testid=upload-progress]")
    expect(bar).to_be_visible()
    alice.wait_for_function("bar => bar.value > 0.05 && bar.value < 1", arg=bar.element_handle())
    expect(sending.locator("[data-testid=upload-cancel]")).to_be_visible()
    expect(sending).to_have_attribute("data-status", "success", timeout=60_000)
    expect(bar).to_have_count(0)
    throttle_uploads(alice, -1)

    card = rows(bob, "TIMFileElem")
    expect(card.locator("[data-testid=file-name]")).to_have_text("关于 <b>数据<i>.bin")
    expect(card.locator("[data-testid=file-name] b")).to_have_count(0)  # text, not HTML
    expect(card.locator("[data-testid=file-size]")).to_have_text("20.0 MB")
    expect(card.locator("[data-testid=file-icon]")).to_have_attribute("data-kind", "file")
    with bob.expect_download() as downloading:
        card.locator("[data-testid=file-download]").click()
    download = downloading.value
    got = Path(download.path()).read_bytes()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()

    # A 2 s voice message, recorded from Chromium's fake microphone, played by bob.
    alice.click("[data-testid=record]")
    expect(alice.locator("[data-testid=recording]")).to_be_visible()
    expect(alice.locator("[data-testid=record-timer]")).to_have_text("0:02")
    alice.click("[data-testid=record]")
    expect(alice.locator("[data-testid=recording]")).to_be_hidden()
    expect(rows(alice, "TIMSoundElem")).to_have_attribute("data-status", "success")
    voice = rows(bob, "TIMSoundElem")
    # Stopped once the timer read 0:02; a loaded machine may click half a second late.
    length = rows(alice, "TIMSoundElem").locator("[data-testid=voice-length]").inner_text()
    assert re.fullmatch(r"0:0[23]", length), length
    expect(voice.locator("[data-testid=voice-length]")).to_have_text(length)
    player = voice.locator("[data-testid=voice-player]")
    player.evaluate("audio => audio.play()")
    bob.wait_for_function(
        "audio => audio.currentTime > 0 || audio.ended", arg=player.element_handle()
    )

    # The conversation list says what came last, in words.
    expect(bob.locator("[data-testid=conversation] .preview")).to_have_text("[Voice]")
    # And history brings all three back after a reload.
    reload(bob)
    bob.locator('[data-testid=conversation][data-conversation-id="C2Calice"]').click()
    for msg_type in ("TIMImageElem", "TIMFileElem", "TIMSoundElem"):
        expect(rows(bob, msg_type)).to_have_count(1)


# A real mp4 made in the page, so no binary is committed: a canvas animation recorded by
# Chromium's MediaRecorder as H.264 (baseline, the profile every player decodes). The
# background stays one colour so the poster's first frame can be told from the SDK's
# grey placeholder; the moving square gives the encoder frames that differ.
RECORD_MP4 = """async ({mimeType, ms}) => {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const c = canvas.getContext('2d');
  let frame = 0;
  const draw = () => {
    c.fillStyle = 'rgb(200, 30, 30)';
    c.fillRect(0, 0, 320, 240);
    c.fillStyle = '#fff';
    c.fillRect((frame++ * 8) % 280, 180, 40, 40);
  };
  draw();
  const painting = setInterval(draw, 33);
  const recorder = new MediaRecorder(canvas.captureStream(30), {mimeType});
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  recorder.stop();
  await stopped;
  clearInterval(painting);
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""
H264 = "video/mp4;codecs=avc1.42E01E"


def off_the_loop(read: Callable[[], T]) -> T:
    """``read`` run in a thread of its own: Playwright's sync API keeps an event loop
    running in this one, where Django refuses database queries."""

    def run() -> T:
        try:
            return read()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def recorded_mp4(page: Page, seconds: float) -> bytes:
    assert page.evaluate("t => MediaRecorder.isTypeSupported(t)", H264), "no mp4 recording"
    return base64.b64decode(page.evaluate(RECORD_MP4, {"mimeType": H264, "ms": seconds * 1000}))


def test_alice_sends_bob_a_video_with_its_poster_and_a_player(media_live, media_browser):
    bob = sign_in(media_browser, media_live, "bob")
    alice = sign_in(media_browser, media_live, "alice")
    start_chat(alice, "bob")
    # 2 s rather than 1.5: the SDK rounds the length, and 1.5 could go either way.
    clip = recorded_mp4(alice, 2)
    assert clip[4:8] == b"ftyp"  # the ISO-BMFF box the server looks for
    alice.set_input_files(
        "[data-testid=video-input]",
        files={"name": "clip.mp4", "mimeType": "video/mp4", "buffer": clip},
    )
    expect(rows(alice, "TIMVideoFileElem")).to_have_attribute("data-status", "success")

    row = rows(bob, "TIMVideoFileElem")
    expect(row.locator("[data-testid=video-length]")).to_have_text("0:02")
    player = row.locator("[data-testid=video-player]")
    expect(player).to_have_attribute("controls", "")
    # The poster is the clip's first frame at its size, not the grey 320×180 placeholder.
    poster = bob.context.request.get(player.evaluate("video => video.poster"))
    assert poster.ok
    frame = Image.open(io.BytesIO(poster.body()))
    assert (frame.format, frame.size) == ("JPEG", (320, 240))
    red, green, blue = frame.convert("RGB").getpixel((10, 10))
    assert red > 150 and green < 80 and blue < 80
    # Started on whichever player the page holds when each poll runs: a redraw (any
    # push for the conversation) may replace the player before it starts, and a player
    # taken off the page still plays, so a handle taken first could be playing unseen.
    bob.wait_for_function(
        """() => {
          const video = document.querySelector('[data-testid=video-player]');
          if (video.paused && video.currentTime === 0) video.play().catch(() => {});
          return video.readyState >= 2 && video.currentTime > 0;
        }"""
    )
    playing = player.element_handle()
    assert playing.evaluate("video => [video.videoWidth, video.videoHeight]") == [320, 240]
    # A message arriving redraws the conversation; the video plays on, not from 0:00.
    alice.fill("[data-testid=message-input]", "nice")
    alice.click("[data-testid=send]")
    expect(bob.locator("[data-testid=message]").last).to_have_text("nice")
    assert playing.evaluate("video => video.isConnected")
    at = playing.evaluate("video => video.currentTime")
    bob.wait_for_function(
        "([video, at]) => video.currentTime > at || video.ended", arg=[playing, at]
    )

    stored = off_the_loop(
        lambda: Message.objects.select_related("sender").get(type="TIMVideoFileElem")
    )
    assert stored.sender.user_id == "alice"
    assert (stored.payload["videoFormat"], stored.payload["videoSecond"]) == ("mp4", 2)
    assert (stored.payload["thumbWidth"], stored.payload["thumbHeight"]) == (320, 240)
    assert stored.payload["videoSize"] == len(clip)


def test_a_cancelled_upload_leaves_no_message_on_either_side(media_live, media_browser, tmp_path):
    bob = sign_in(media_browser, media_live, "bob")
    alice = sign_in(media_browser, media_live, "alice")
    start_chat(alice, "bob")
    alice.fill("[data-testid=message-input]", "before")
    alice.click("[data-testid=send]")
    expect(bob.locator("[data-testid=message]")).to_have_text(["before"])

    big = tmp_path / "big.zip"
    big.write_bytes(secrets.token_bytes(8 * 1024 * 1024))
    throttle_uploads(alice, 1024 * 1024)
    attach(alice, big)
    sending = rows(alice, "TIMFileElem")
    bar = sending.locator("[data-testid=upload-progress]")
    alice.wait_for_function("bar => bar.value > 0", arg=bar.element_handle())
    expect(sending.locator("[data-testid=file-icon]")).to_have_attribute("data-kind", "archive")
    sending.locator("[data-testid=upload-cancel]").click()
    expect(sending).to_have_count(0)
    throttle_uploads(alice, -1)

    # Something sent after it arrives; the cancelled file never does, even after reloads.
    alice.fill("[data-testid=message-input]", "after")
    alice.click("[data-testid=send]")
    expect(bob.locator("[data-testid=message]")).to_have_text(["before", "after"])
    for page, peer in ((alice, "C2Cbob"), (bob, "C2Calice")):
        reload(page)
        page.locator(f'[data-testid=conversation][data-conversation-id="{peer}"]').click()
        expect(page.locator("[data-testid=message]")).to_have_text(["before", "after"])


def test_a_failed_upload_says_why_and_a_retry_sends_it(media_live, media_browser):
    bob = sign_in(media_browser, media_live, "bob")
    alice = sign_in(media_browser, media_live, "alice")
    start_chat(alice, "bob")

    refused = []

    def refuse_once(route):
        if route.request.method == "PUT" and not refused:
            refused.append(route.request.url)
            route.fulfill(status=403, body='{"code": 403}', content_type="application/json")
        else:
            route.fallback()

    alice.context.route("**/*", refuse_once)
    attach(alice, name="notes.txt", mime="text/plain", data="纸上得来终觉浅".encode())
    row = rows(alice, "TIMFileElem")
    expect(row).to_have_attribute("data-status", "fail")
    expect(row.locator("[data-testid=send-error]")).to_have_text("The upload failed. Try again.")
    assert len(refused) == 1
    row.locator("[data-testid=retry]").click()
    expect(row).to_have_attribute("data-status", "success")
    expect(row.locator("[data-testid=send-error]")).to_have_count(0)
    expect(rows(bob, "TIMFileElem").locator("[data-testid=file-name]")).to_have_text("notes.txt")


def test_a_file_the_sdk_refuses_is_said_and_nothing_is_sent(media_live, media_browser):
    sign_in(media_browser, media_live, "bob")  # so that bob exists
    alice = sign_in(media_browser, media_live, "alice")
    start_chat(alice, "bob")
    alice.set_input_files(
        "[data-testid=video-input]",
        files={"name": "clip.avi", "mimeType": "video/x-msvideo", "buffer": b"RIFF0000AVI "},
    )
    expect(alice.locator("[data-testid=status]")).to_have_text(
        "Only MP4 and MOV videos can be sent."
    )
    attach(alice, name="empty.txt", mime="text/plain", data=b"")
    expect(alice.locator("[data-testid=status]")).to_have_text("This file is empty.")
    expect(alice.locator("[data-testid=message-row]")).to_have_count(0)
