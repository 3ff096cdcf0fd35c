"""The two media stores the upload tests run against, and what they put and fetch.

``s3`` is moto's S3 server on a loopback port (started once per session, a fresh bucket
per test), reached through django-storages exactly as a deployment reaches COS or MinIO;
``fs`` is the file system default under the test's own directory, reached through
Hutong's upload endpoint (``im.uploadapp``) and download view. A test takes
``media_store`` and runs on both.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from channels.testing import HttpCommunicator
from django.test import AsyncClient
from moto.server import ThreadedMotoServer
from PIL import Image

from bench.daphne import free_port

S3_KEYS = {"access_key": "hutong-test", "secret_key": "hutong-test-secret"}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str):
    """A boto3 client on the test S3 server, with the test keys."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
    )


def new_bucket(endpoint: str) -> str:
    """A fresh, empty bucket on the test S3 server; its name."""
    bucket = f"hutong-{secrets.token_hex(6)}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return bucket


@dataclass
class MediaStore:
    name: str
    bucket: str = ""
    endpoint: str = ""

    def objects(self) -> set[str]:
        """Every key in the store."""
        if self.name == "s3":
            listed = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket)
            return {entry["Key"] for entry in listed.get("Contents", [])}
        from django.core.files.storage import storages

        root = storages["im-media"].location
        import pathlib

        base = pathlib.Path(root)
        return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}


@pytest.fixture(params=["fs", "s3"])
def media_store(request, settings, tmp_path) -> MediaStore:
    if request.param == "fs":
        settings.STORAGES = {
            **settings.STORAGES,
            "im-media": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "media"},
            },
        }
        return MediaStore("fs")
    endpoint = request.getfixturevalue("s3_server")
    bucket = new_bucket(endpoint)
    settings.STORAGES = {
        **settings.STORAGES,
        "im-media": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": settings.IM_MEDIA_URL_EXPIRE,
                "file_overwrite": True,
                **S3_KEYS,
            },
        },
    }
    return MediaStore("s3", bucket=bucket, endpoint=endpoint)


# --- putting and fetching, as a browser would ---


@dataclass
class Fetched:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


async def put(url: str, data: bytes, headers: dict[str, str]) -> int:
    """PUT ``data`` to an upload target: Hutong's endpoint (a path, through the whole
    ASGI application as daphne runs it) or the store's URL."""
    if url.startswith("/"):
        return (await put_local(url, data, headers))["status"]
    return await asyncio.to_thread(_http, "PUT", url, data, headers)


async def put_local(url: str, data: bytes, headers: dict[str, str]) -> dict:
    """PUT to a path of ``chatsite.asgi.application`` in one body message; its answer
    (``status``, ``headers``, ``body``)."""
    from chatsite.asgi import application

    fields = [(b"content-length", str(len(data)).encode())]
    fields += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    communicator = HttpCommunicator(application, "PUT", url, body=data, headers=fields)
    try:
        return await communicator.get_response(timeout=30)
    finally:
        await communicator.wait()


async def fetch(url: str) -> Fetched:
    if url.startswith("/"):
        answer = await AsyncClient().get(url)
        body = answer.getvalue() if answer.streaming else answer.content
        return Fetched(answer.status_code, body, {k.lower(): v for k, v in answer.items()})
    return await asyncio.to_thread(_get, url)


def _http(method: str, url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _get(url: str) -> Fetched:
    try:
        with urllib.request.urlopen(url) as answer:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            return Fetched(answer.status, answer.read(), headers)
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.read(), {})


# --- files to send ---


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (1600, 1000), **save) -> bytes:
    picture = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0], 50):  # something to scale, not one flat colour
        picture.paste((20, 20, 200), (x, 0, x + 10, size[1]))
    out = io.BytesIO()
    picture.save(out, fmt, **save)
    return out.getvalue()


def jpeg_turned_on_its_side(size: tuple[int, int] = (1600, 1000)) -> bytes:
    """A JPEG stored landscape with EXIF orientation 6 (shown rotated: portrait) and a
    camera make and GPS block that derived versions must not keep."""
    picture = Image.new("RGB", size, (10, 120, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "HutongCam"  # Make
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb(side: int = 12_000) -> bytes:
    """A small PNG claiming ``side``×``side`` pixels: a decompression bomb's header."""
    picture = Image.new("1", (side, side), 0)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


WEBM_VOICE = bytes.fromhex("1a45dfa3") + secrets.token_bytes(4000)
MP4_VIDEO = b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(8000)
EXECUTABLE = b"\x7fELF\x02\x01\x01" + secrets.token_bytes(3000)
