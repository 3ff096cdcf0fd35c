"""Uploads for media messages: announcing a file, checking what the client put, the
payloads of image, file, video and voice messages, and removing what no message keeps.

The path of one file: ``check_create_upload`` (kind, name, size, type checked against
TIM's limits) gives the client an upload target from ``im.storage``; the client puts
the file there; ``check_finish_upload`` checks the stored object itself (present, put in
time, the announced size, really of its kind: an image is decoded by Pillow, which also
makes TIM's large and thumbnail versions); then a message naming the upload's uuid may
be sent (``check_media_draft``), and carries it from then on (``do_attach_uploads``).
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from im import media, storage
from im.errors import (
    AUDIO_TOO_LARGE,
    AUDIO_UPLOAD_FAILED,
    FILE_EMPTY,
    FILE_TOO_LARGE,
    FILE_UPLOAD_FAILED,
    IMAGE_BAD_TYPE,
    IMAGE_TOO_LARGE,
    INVALID_PARAMS,
    VIDEO_BAD_TYPE,
    VIDEO_TOO_LARGE,
    VIDEO_UPLOAD_FAILED,
    IMError,
)
from im.models import Account, Message, Upload
from im.transactions import in_callers_transaction

MB = 1024 * 1024
Kind = Upload.Kind

# TIM's image formats (imageFormat), by Pillow's name, with the content type served.
IMAGE_FORMATS = {
    "JPEG": (1, "image/jpeg"),
    "GIF": (2, "image/gif"),
    "PNG": (3, "image/png"),
    "BMP": (4, "image/bmp"),
    "WEBP": (255, "image/webp"),
}
IMAGE_TYPES = frozenset(t for _, t in IMAGE_FORMATS.values())
# Decoding more pixels than this is refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 50_000_000
# TIM's derived versions: the short side at most this many pixels.
LARGE_SIDE = 720
THUMB_SIDE = 198
# An avatar is kept as a square JPEG this many pixels a side (or the picture's short
# side, if smaller): enough for a chat header on a high-density screen.
AVATAR_SIDE = 256


@dataclass(frozen=True)
class Limit:
    max_bytes: int
    content_types: frozenset[str] | None  # None: any
    too_large: int
    bad_type: int
    failed: int


VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
AUDIO_TYPES = frozenset(
    {
        "audio/webm",  # what Chromium's MediaRecorder makes
        "audio/ogg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
    }
)
# TIM's limits: images and voice 28 MB, files and videos 100 MB.
LIMITS = {
    Kind.IMAGE: Limit(28 * MB, IMAGE_TYPES, IMAGE_TOO_LARGE, IMAGE_BAD_TYPE, FILE_UPLOAD_FAILED),
    Kind.SNAPSHOT: Limit(
        28 * MB, IMAGE_TYPES, IMAGE_TOO_LARGE, IMAGE_BAD_TYPE, VIDEO_UPLOAD_FAILED
    ),
    Kind.FILE: Limit(100 * MB, None, FILE_TOO_LARGE, FILE_UPLOAD_FAILED, FILE_UPLOAD_FAILED),
    Kind.VIDEO: Limit(100 * MB, VIDEO_TYPES, VIDEO_TOO_LARGE, VIDEO_BAD_TYPE, VIDEO_UPLOAD_FAILED),
    Kind.AUDIO: Limit(
        28 * MB, AUDIO_TYPES, AUDIO_TOO_LARGE, AUDIO_UPLOAD_FAILED, AUDIO_UPLOAD_FAILED
    ),
    # TIM has no avatar uploads (a profile holds a URL); Hutong's take a photo of a
    # phone's size and keep only a small square of it.
    Kind.AVATAR: Limit(10 * MB, IMAGE_TYPES, IMAGE_TOO_LARGE, IMAGE_BAD_TYPE, FILE_UPLOAD_FAILED),
}
MAX_FILE_NAME = 255
CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
# How long an announced upload may stay without a message before imcleanuploads removes it.
UNSENT_GRACE = timedelta(hours=24)
# The size of an upload whose client did not say it (Tencent's SDK asks for its upload
# link before it tells the file's size): any up to the kind's limit may be put, and the
# upload takes the size of what was put when it is finished.
UNANNOUNCED = 0


def check_file_name(name: str) -> str:
    """A name to show: any text, but no path (it is never used as one, and a name with
    separators is a client trying something)."""
    if not 1 <= len(name) <= MAX_FILE_NAME:
        raise IMError(INVALID_PARAMS, f"fileName must be 1-{MAX_FILE_NAME} characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise IMError(INVALID_PARAMS, "fileName must be a name, not a path")
    if any(not ch.isprintable() for ch in name):
        raise IMError(INVALID_PARAMS, "fileName must not contain control characters")
    return name


def _content_type(value: str) -> str:
    # Browsers add parameters ("audio/webm;codecs=opus"); the type is what is checked.
    base = value.split(";", 1)[0].strip().lower()
    if not CONTENT_TYPE.match(base):
        raise IMError(INVALID_PARAMS, f"contentType {value!r} is not a media type")
    return base


def check_create_upload(
    *, account: Account, kind: str, file_name: str, size: int | None, content_type: str
) -> tuple[Upload, storage.UploadTarget]:
    """Announce a file the client is about to put; an entry point. Returns the upload
    and where to put it, valid for ``IM_UPLOAD_URL_EXPIRE`` seconds. ``size`` None: not
    told (``UNANNOUNCED``), checked against the kind's limit once put."""
    if kind not in LIMITS:
        raise IMError(INVALID_PARAMS, f"kind must be one of {sorted(LIMITS)}")
    limit = LIMITS[kind]
    name = check_file_name(file_name)
    content_type = _content_type(content_type)
    if limit.content_types is not None and content_type not in limit.content_types:
        raise IMError(limit.bad_type, f"a {kind} cannot be of type {content_type}")
    if size is None:
        size = UNANNOUNCED
    else:
        _check_size(limit, kind, size)
    expires_in = settings.IM_UPLOAD_URL_EXPIRE
    upload = Upload.objects.create(
        uuid=secrets.token_hex(16),
        app_id=account.app_id,
        owner=account,
        kind=kind,
        file_name=name,
        content_type=content_type,
        size=size,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
    key = storage.object_key(account.app_id, upload.uuid)
    return upload, storage.upload_target(key, content_type, expires_in)


def _check_size(limit: Limit, kind: str, size: int) -> None:
    if size <= 0:
        raise IMError(FILE_EMPTY, "the file is empty")
    if size > limit.max_bytes:
        raise IMError(limit.too_large, f"a {kind} may be at most {limit.max_bytes // MB} MB")


def check_finish_upload(*, account: Account, uuid: str, file_name: str | None = None) -> Upload:
    """Check the object the client put for ``uuid`` and make the upload sendable; an
    entry point. A refused object is removed with its upload; finishing twice returns
    the finished upload. ``file_name``: the name to show, for a client that tells it
    only now (Tencent's SDK announces a name of its own making)."""
    upload = _own(account, uuid)
    if upload.is_ready:
        return upload
    name = check_file_name(file_name) if file_name is not None else upload.file_name
    try:
        size, info = _checked_object(upload)
    except IMError:
        storage.delete(*_keys(upload))
        upload.delete()
        raise
    if upload.kind == Kind.AVATAR:  # only the square is ever shown
        storage.delete(storage.object_key(upload.app_id, upload.uuid))
    upload.is_ready, upload.info, upload.size, upload.file_name = True, info, size, name
    upload.save(update_fields=["is_ready", "info", "size", "file_name"])
    return upload


def _checked_object(upload: Upload) -> tuple[int, dict]:
    """The stored object's size and what it is."""
    limit = LIMITS[upload.kind]
    key = storage.object_key(upload.app_id, upload.uuid)
    stored = storage.stat(key)
    if stored is None:
        raise IMError(limit.failed, "nothing was uploaded for this file")
    if stored.modified > upload.expires_at:
        raise IMError(limit.failed, "the file was put after its upload link expired")
    if upload.size == UNANNOUNCED:
        _check_size(limit, upload.kind, stored.size)
    elif stored.size != upload.size:
        raise IMError(limit.failed, f"{stored.size} bytes were put, {upload.size} were announced")
    return stored.size, _checked(upload, key)


@dataclass(frozen=True)
class Receiving:
    """A file system upload the server may receive: exactly ``length`` bytes for ``key``."""

    key: str
    length: int
    too_large: int  # the kind's TIM code for a file over its size
    failed: int  # and for one that did not arrive whole

    def check_received(self, received: int) -> None:
        """Refuse as soon as more bytes have come than the upload may hold."""
        if received > self.length:
            raise IMError(self.too_large, f"more than the {self.length} bytes announced were sent")

    def check_complete(self, received: int) -> None:
        if received != self.length:
            raise IMError(self.failed, f"{received} of {self.length} bytes arrived")


def check_receive_upload(*, key: str, length: str | None) -> Receiving:
    """Whether the file system default's upload link for ``key`` (its token checked)
    may take a body of ``length`` bytes (the request's Content-Length); checked before
    any byte is stored (the object store does this itself for a presigned PUT)."""
    _, uuid, variant = key.split("/")
    upload = Upload.objects.filter(uuid=uuid, is_ready=False).first()
    if upload is None or variant != "original":
        raise IMError(FILE_UPLOAD_FAILED, "this upload is finished or gone")
    limit = LIMITS[upload.kind]
    if length is None or not length.isdigit():
        raise IMError(INVALID_PARAMS, "the upload needs its Content-Length")
    if upload.size == UNANNOUNCED:
        if int(length) > limit.max_bytes:
            most = limit.max_bytes // MB
            raise IMError(limit.too_large, f"a {upload.kind} may be at most {most} MB")
    elif int(length) > upload.size:
        raise IMError(limit.too_large, f"{length} bytes sent, {upload.size} were announced")
    return Receiving(key=key, length=int(length), too_large=limit.too_large, failed=limit.failed)


def original_link(upload: Upload) -> str:
    """A link to the object as put, for its owner's client to show before it sends it
    (a file's saved under its name). Links in messages come from ``im.media``."""
    name = upload.file_name if upload.kind == Kind.FILE else None
    key = storage.object_key(upload.app_id, upload.uuid)
    return storage.download_url(key, upload.content_type, download_name=name)


def uuid_of_link(url: str) -> str | None:
    """The upload a link of this store names (an ``original_link`` a client sends back
    as its message's URL), or None if it names none."""
    key = storage.download_key(url)
    if key is None:
        return None
    _, uuid, variant = key.split("/")
    return uuid if variant == "original" else None


def _own(account: Account, uuid: str) -> Upload:
    upload = Upload.objects.filter(uuid=uuid, owner=account).first()
    if upload is None:
        raise IMError(INVALID_PARAMS, f"no upload {uuid!r} of yours")
    return upload


def _keys(upload: Upload) -> list[str]:
    variants = ["original"]
    if upload.kind == Kind.IMAGE:
        variants += ["large", "thumb"]
    if upload.kind == Kind.AVATAR:
        variants.append(media.AVATAR_VARIANT)
    return [storage.object_key(upload.app_id, upload.uuid, v) for v in variants]


# --- what a stored object really is ---


def _checked(upload: Upload, key: str) -> dict:
    if upload.kind in (Kind.IMAGE, Kind.SNAPSHOT, Kind.AVATAR):
        return _checked_image(upload, key)
    if upload.kind == Kind.VIDEO:
        _check_magic(storage.read(key, 16), VIDEO_SIGNATURES, LIMITS[Kind.VIDEO].bad_type)
        return {"format": upload.content_type.split("/")[1].replace("quicktime", "mov")}
    if upload.kind == Kind.AUDIO:
        _check_magic(storage.read(key, 16), AUDIO_SIGNATURES, LIMITS[Kind.AUDIO].bad_type)
    return {}


def _is_mp4(head: bytes) -> bool:
    # ISO base media (mp4, mov, m4a): a box size, then a box type at bytes 4-8.
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")


VIDEO_SIGNATURES = (_is_mp4,)
AUDIO_SIGNATURES = (
    _is_mp4,
    lambda h: h.startswith(b"\x1a\x45\xdf\xa3"),  # WebM / Matroska
    lambda h: h.startswith(b"OggS"),
    lambda h: h.startswith(b"ID3") or (len(h) > 1 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0),
    lambda h: h.startswith(b"RIFF") and h[8:12] == b"WAVE",
)


def _check_magic(head: bytes, signatures: tuple, code: int) -> None:
    if not any(sig(head) for sig in signatures):
        raise IMError(code, "the file is not of the type it was announced as")


def _checked_image(upload: Upload, key: str) -> dict:
    limit = LIMITS[upload.kind]
    data = storage.read(key)
    try:
        # Pillow warns of a possible bomb as it opens one; here that is a refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                found = probe.format
                width, height = probe.size
                if found not in IMAGE_FORMATS:
                    raise IMError(limit.bad_type, f"{found} is not an accepted image format")
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(limit, width, height)
                probe.verify()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                shown = ImageOps.exif_transpose(picture)
                info = {"format": found, "width": shown.width, "height": shown.height}
                if upload.kind == Kind.IMAGE:
                    info["versions"] = _derive(upload, shown)
                elif upload.kind == Kind.AVATAR:
                    info["avatar"] = _derive_avatar(upload, shown)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise IMError(limit.too_large, f"the image has too many pixels: {e}") from e
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise IMError(limit.bad_type, "the file is not a readable image") from e
    return info


def _too_many_pixels(limit: Limit, width: int, height: int) -> IMError:
    return IMError(
        limit.too_large, f"the image has {width}x{height} pixels; at most {MAX_IMAGE_PIXELS:,}"
    )


def _derive(upload: Upload, picture: Image.Image) -> dict[str, dict]:
    """TIM's large and thumbnail versions, upright and without the original's metadata."""
    versions = {}
    for variant, side in (("large", LARGE_SIDE), ("thumb", THUMB_SIDE)):
        scale = min(1.0, side / min(picture.width, picture.height))
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        small = picture.convert("RGBA" if _has_alpha(picture) else "RGB").resize(
            size, Image.Resampling.LANCZOS
        )
        out = io.BytesIO()
        if small.mode == "RGBA":
            small.save(out, "PNG", optimize=True)
            content_type = "image/png"
        else:
            small.save(out, "JPEG", quality=85, optimize=True)
            content_type = "image/jpeg"
        data = out.getvalue()
        storage.write(storage.object_key(upload.app_id, upload.uuid, variant), data, content_type)
        versions[variant] = {
            "width": size[0],
            "height": size[1],
            "size": len(data),
            "contentType": content_type,
        }
    return versions


def _derive_avatar(upload: Upload, picture: Image.Image) -> dict:
    """The avatar: the picture's centre square, at most ``AVATAR_SIDE`` a side, as a JPEG
    (a transparent picture on white), upright and without the original's metadata."""
    side = min(picture.width, picture.height, AVATAR_SIDE)
    if _has_alpha(picture):
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = picture.convert("RGB")
    square = ImageOps.fit(flat, (side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "JPEG", quality=88, optimize=True)
    data = out.getvalue()
    key = storage.object_key(upload.app_id, upload.uuid, media.AVATAR_VARIANT)
    storage.write(key, data, media.AVATAR_CONTENT_TYPE)
    return {"width": side, "height": side, "size": len(data)}


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


# --- messages that carry uploads ---


def check_media_draft(sender: Account, msg_type: str, payload: dict) -> dict:
    """The payload to store for a media message ``sender`` sends: the element's fields
    from the uploads it names (which must be ``sender``'s own, finished, of the right
    kind), not from the client."""
    if msg_type == media.IMAGE:
        upload = _ready(sender, payload["uuid"], Kind.IMAGE)
        code, content_type = IMAGE_FORMATS[upload.info["format"]]
        versions = {"original": {**_size(upload), "contentType": content_type}}
        versions.update(upload.info["versions"])
        return {
            "uuid": upload.uuid,
            "imageFormat": code,
            "contentType": content_type,
            "imageInfoArray": [
                {
                    "variant": variant,
                    "type": tim_type,
                    "sizeType": size_type,
                    "size": versions[variant]["size"],
                    "width": versions[variant]["width"],
                    "height": versions[variant]["height"],
                    "contentType": versions[variant]["contentType"],
                }
                for variant, tim_type, size_type in media.IMAGE_VERSIONS
            ],
        }
    if msg_type == media.FILE:
        upload = _ready(sender, payload["uuid"], Kind.FILE)
        return {
            "uuid": upload.uuid,
            "fileName": upload.file_name,
            "fileSize": upload.size,
            "contentType": upload.content_type,
        }
    if msg_type == media.AUDIO:
        upload = _ready(sender, payload["uuid"], Kind.AUDIO)
        return {
            "uuid": upload.uuid,
            "second": payload["second"],
            "size": upload.size,
            "contentType": upload.content_type,
        }
    if msg_type == media.VIDEO:
        video = _ready(sender, payload["videoUUID"], Kind.VIDEO)
        thumb = _ready(sender, payload["thumbUUID"], Kind.SNAPSHOT)
        return {
            "videoUUID": video.uuid,
            "videoFormat": video.info["format"],
            "videoSecond": payload["videoSecond"],
            "videoSize": video.size,
            "videoContentType": video.content_type,
            "thumbUUID": thumb.uuid,
            "thumbFormat": thumb.info["format"].lower(),
            "thumbWidth": thumb.info["width"],
            "thumbHeight": thumb.info["height"],
            "thumbSize": thumb.size,
            "thumbContentType": IMAGE_FORMATS[thumb.info["format"]][1],
        }
    return payload


def _size(upload: Upload) -> dict:
    return {"width": upload.info["width"], "height": upload.info["height"], "size": upload.size}


def _ready(sender: Account, uuid: str, kind: str) -> Upload:
    upload = Upload.objects.filter(uuid=uuid, owner=sender, kind=kind).first()
    if upload is None:
        raise IMError(INVALID_PARAMS, f"no {kind} upload {uuid!r} of yours")
    if not upload.is_ready:
        raise IMError(LIMITS[kind].failed, f"the {kind} {uuid!r} has not finished uploading")
    return upload


@in_callers_transaction
def do_attach_uploads(message: Message) -> None:
    """Make ``message`` the one that carries the uploads it names. An upload already
    carried by another message is refused (a purge of that one would take it away)."""
    names = media.uuids(message.type, message.payload)
    if not names or message.pk is None:  # an AVChatRoom message is never stored
        return
    uploads = Upload.objects.select_for_update().filter(uuid__in=names)
    taken = [u.uuid for u in uploads if u.message_id not in (None, message.pk)]
    if taken:
        raise IMError(INVALID_PARAMS, f"already sent in another message: {', '.join(taken)}")
    Upload.objects.filter(uuid__in=names, message=None).update(
        message=message, attached_at=timezone.now()
    )


def do_clean_uploads(*, now: datetime | None = None) -> int:
    """Remove the objects no message or profile carries: uploads whose message was
    purged, and those announced more than ``UNSENT_GRACE`` ago that no message or
    profile ever took. Returns how many uploads went. An avatar in use has
    ``attached_at`` and no message; it goes when it is replaced (``do_remove_avatar``)."""
    now = now or timezone.now()
    purged = Upload.objects.filter(message=None, attached_at__isnull=False).exclude(
        kind=Kind.AVATAR
    )
    unsent = Upload.objects.filter(
        message=None, attached_at=None, created_at__lt=now - UNSENT_GRACE
    )
    orphans = purged | unsent
    # The file system default's incoming files a server that died mid-upload left.
    storage.sweep_incoming(older_than=UNSENT_GRACE.total_seconds())
    removed = 0
    for upload in orphans.iterator():
        storage.delete(*_keys(upload))
        upload.delete()
        removed += 1
    return removed


# --- avatars ---


def ready_avatar(account: Account, uuid: str) -> Upload:
    """``account``'s finished avatar upload ``uuid``."""
    return _ready(account, uuid, Kind.AVATAR)


def do_attach_avatar(uuid: str) -> None:
    """Mark an avatar upload as a profile's, so ``do_clean_uploads`` keeps it."""
    Upload.objects.filter(uuid=uuid, kind=Kind.AVATAR).update(attached_at=timezone.now())


def do_remove_avatar(uuid: str) -> None:
    """Remove a replaced avatar: its row now, its objects once the change commits (a
    rolled-back change keeps the avatar it had)."""
    upload = Upload.objects.filter(uuid=uuid, kind=Kind.AVATAR).first()
    if upload is None:
        return
    keys = _keys(upload)
    upload.delete()
    transaction.on_commit(lambda: storage.delete(*keys))
