"""The one seam to the media store: django-storages' S3 backend for any S3-compatible
store (Tencent COS, AWS S3, MinIO, Ceph), or Django's file system storage by default.

Everything else asks here for object keys, upload targets, checks of stored objects and
download links; no other module imports boto3 or django-storages. Keys are
``<app>/<uuid>/<variant>``: per app, unguessable, nothing taken from a file name.

With S3, a browser puts the file straight to the store with a presigned PUT, so large
files never pass through daphne, and downloads are presigned GETs. With the file
system, uploads go to a raw ASGI endpoint in front of Django (``im.uploadapp``) that
writes the body as it is received (``LocalUpload``), downloads to a Django view
(``im.views``); both check a signed, expiring token in the URL, the same contract as a
presigned URL.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from urllib.parse import parse_qs, quote, unquote, urlsplit

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.urls import reverse

ALIAS = "im-media"
# The file system default's upload endpoint (``im.uploadapp``, served before Django's URLs).
UPLOAD_PATH = "/im/uploads/"
# Where the file system default keeps uploads still being received; no key starts with it.
INCOMING = ".incoming"
UPLOAD_SALT = "im.storage.upload"
DOWNLOAD_SALT = "im.storage.download"


def media() -> Storage:
    return storages[ALIAS]


def is_s3(storage: Storage | None = None) -> bool:
    # Imported here so the file system default never needs boto3 loaded.
    from storages.backends.s3 import S3Storage

    return isinstance(storage or media(), S3Storage)


def object_key(app_pk: int, uuid: str, variant: str = "original") -> str:
    return f"{app_pk}/{uuid}/{variant}"


@dataclass(frozen=True)
class UploadTarget:
    """Where and how the client puts the file: ``method`` to ``url`` with ``headers``."""

    method: str
    url: str
    headers: dict[str, str]


def upload_target(key: str, content_type: str, expires_in: int) -> UploadTarget:
    storage = media()
    headers = {"Content-Type": content_type}
    if is_s3(storage):
        client = storage.connection.meta.client
        url = client.generate_presigned_url(
            "put_object",
            Params={"Bucket": storage.bucket_name, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
        )
        return UploadTarget("PUT", url, headers)
    token = signing.dumps(key, salt=UPLOAD_SALT)
    return UploadTarget("PUT", f"{UPLOAD_PATH}?t={token}", headers)


def upload_key(token: str) -> str:
    """The key a file system upload token names; ``signing.BadSignature`` (including
    ``SignatureExpired``) if it is forged or past ``IM_UPLOAD_URL_EXPIRE``."""
    return signing.loads(token, salt=UPLOAD_SALT, max_age=settings.IM_UPLOAD_URL_EXPIRE)


@dataclass(frozen=True)
class StoredObject:
    size: int
    modified: datetime


def stat(key: str) -> StoredObject | None:
    """The stored object's size and last change, or None if there is none."""
    storage = media()
    if is_s3(storage):
        from botocore.exceptions import ClientError

        try:
            head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=key)
        except ClientError:
            return None
        return StoredObject(size=head["ContentLength"], modified=head["LastModified"])
    if not storage.exists(key):
        return None
    modified = storage.get_modified_time(key)
    return StoredObject(size=storage.size(key), modified=modified)


def read(key: str, limit: int = -1) -> bytes:
    """The stored object, or its first ``limit`` bytes."""
    with media().open(key, "rb") as stored:
        return stored.read(limit)


def write(key: str, data: bytes | IO[bytes], content_type: str) -> None:
    """Store ``data`` (bytes, or a file to stream from) under ``key``, replacing it."""
    storage = media()
    content = ContentFile(data) if isinstance(data, bytes) else File(data)
    content.content_type = content_type  # django-storages sends it as the object's type
    if not is_s3(storage) and storage.exists(key):
        storage.delete(key)
    saved = storage.save(key, content)
    if saved != key:  # the file system storage renames on a clash; keys never clash
        storage.delete(saved)
        raise RuntimeError(f"the media store kept {key!r} as {saved!r}")


class LocalUpload:
    """A file system upload being received. The bytes go to a file of its own under
    ``INCOMING`` and take the key's name only once complete (``commit``), so a key never
    names half a file; ``discard`` removes it. Writes are plain blocking writes on the
    caller's thread: a 64 KiB write to the page cache takes ~20 µs here, handing it to a
    thread ~160 µs (measured for the uploads bench), so the caller batches small chunks
    and writes inline."""

    def __init__(self, key: str) -> None:
        storage = media()
        self.path = storage.path(key)
        incoming = storage.path(INCOMING)
        os.makedirs(incoming, exist_ok=True)
        # Same file system as the key's, so the commit is a rename.
        self.partial = os.path.join(incoming, secrets.token_hex(16))
        self.file = open(self.partial, "xb")  # closed by commit or discard
        self.mode = storage.file_permissions_mode
        self.directory_mode = storage.directory_permissions_mode

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.close()
        if self.mode is not None:
            os.chmod(self.partial, self.mode)
        directory = os.path.dirname(self.path)
        if self.directory_mode is not None:
            os.makedirs(directory, self.directory_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        os.replace(self.partial, self.path)  # replaces an earlier put of the same key

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.partial)


def receive_local(key: str) -> LocalUpload:
    """Start receiving the file system default's upload of ``key`` (``im.uploadapp``)."""
    if is_s3():
        raise RuntimeError("with an S3 store, uploads go to the store itself")
    return LocalUpload(key)


def sweep_incoming(older_than: float) -> int:
    """Remove the file system default's incoming files not touched for ``older_than``
    seconds (a server that died mid-upload leaves one); how many went."""
    storage = media()
    if is_s3(storage) or not storage.exists(INCOMING):
        return 0
    removed = 0
    cutoff = time.time() - older_than
    for entry in os.scandir(storage.path(INCOMING)):
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    return removed


def delete(*keys: str) -> None:
    storage = media()
    for key in keys:
        storage.delete(key)


def download_url(key: str, content_type: str, *, download_name: str | None = None) -> str:
    """A link the receiver's browser can fetch, signed and expiring unless the bucket
    is public. ``download_name`` makes it an attachment saved under that name (never
    shown inline: a file may be HTML)."""
    storage = media()
    disposition = None
    if download_name is not None:
        disposition = f"attachment; filename*=UTF-8''{quote(download_name)}"
    if is_s3(storage):
        parameters = {"ResponseContentDisposition": disposition} if disposition else None
        return storage.url(key, parameters=parameters)
    token = signing.dumps(
        {"k": key, "n": download_name, "t": content_type}, salt=DOWNLOAD_SALT, compress=True
    )
    return f"{reverse('im-media')}?t={token}"


# An object key, as the end of an S3 link's path: ``<app>/<uuid>/<variant>``.
KEY_IN_PATH = re.compile(r"(\d+/[0-9a-f]{32}/[a-z]+)$")


def download_key(url: str) -> str | None:
    """The object key a ``download_url`` link names, or None if ``url`` is not one (a
    file system link's token is verified; an S3 link's key is its path's end)."""
    parts = urlsplit(url)
    if is_s3():
        found = KEY_IN_PATH.search(unquote(parts.path))
        return found.group(1) if found else None
    token = parse_qs(parts.query).get("t", [""])[0]
    try:
        return download(token).key
    except (signing.BadSignature, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Download:
    key: str
    content_type: str
    download_name: str | None  # None: shown inline (an image, a video, a voice message)


def download(token: str) -> Download:
    """What a file system download token names; ``signing.BadSignature`` if forged or
    past ``IM_MEDIA_URL_EXPIRE``."""
    value = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.IM_MEDIA_URL_EXPIRE)
    return Download(key=value["k"], content_type=value["t"], download_name=value["n"])


def open_local(key: str) -> IO[bytes]:
    """The file system default's stored file, for its download view."""
    return media().open(key, "rb")
