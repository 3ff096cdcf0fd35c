"""The payloads of image, file, video and voice messages, as stored and as shown.

A stored payload names its objects by uuid only; the links are made each time a message
is serialised (``with_links``), so every history page or push carries fresh, signed
ones, and a recalled message carries none.
"""

from __future__ import annotations

from typing import Any

from im import storage

IMAGE = "TIMImageElem"
FILE = "TIMFileElem"
AUDIO = "TIMSoundElem"
VIDEO = "TIMVideoFileElem"
MEDIA_TYPES = frozenset({IMAGE, FILE, AUDIO, VIDEO})

# TIM's downloadFlag: 2 means the file can be downloaded.
DOWNLOADABLE = 2

# An uploaded avatar's one stored version: a square JPEG (im.services.uploads).
AVATAR_VARIANT = "avatar"
AVATAR_CONTENT_TYPE = "image/jpeg"

# An image's versions: variant, TIM's type after the SDK's normalisation, TIM's sizeType.
IMAGE_VERSIONS = (("original", 0, 1), ("large", 2, 2), ("thumb", 1, 3))


def uuids(msg_type: str, payload: dict[str, Any]) -> list[str]:
    """The uploads a media payload names."""
    if msg_type == VIDEO:
        return [payload["videoUUID"], payload["thumbUUID"]]
    if msg_type in MEDIA_TYPES:
        return [payload["uuid"]]
    return []


def _url(app_pk: int, uuid: str, content_type: str, variant: str = "original", **kw: Any) -> str:
    return storage.download_url(storage.object_key(app_pk, uuid, variant), content_type, **kw)


def with_links(msg_type: str, payload: dict[str, Any], app_pk: int) -> dict[str, Any]:
    """``payload`` with the links its receiver's browser fetches."""
    if msg_type == IMAGE:
        versions = []
        for entry in payload["imageInfoArray"]:
            variant = entry["variant"]
            url = _url(app_pk, payload["uuid"], entry["contentType"], variant)
            versions.append({**_version(entry), "url": url, "imageUrl": url})
        return {**_public(payload), "imageInfoArray": versions}
    if msg_type == FILE:
        url = _url(
            app_pk, payload["uuid"], payload["contentType"], download_name=payload["fileName"]
        )
        return {**_public(payload), "fileUrl": url, "downloadFlag": DOWNLOADABLE}
    if msg_type == AUDIO:
        url = _url(app_pk, payload["uuid"], payload["contentType"])
        return {**_public(payload), "url": url, "remoteAudioUrl": url, "downloadFlag": DOWNLOADABLE}
    if msg_type == VIDEO:
        video = _url(app_pk, payload["videoUUID"], payload["videoContentType"])
        thumb = _url(app_pk, payload["thumbUUID"], payload["thumbContentType"])
        return {
            **_public(payload),
            "videoUrl": video,
            "remoteVideoUrl": video,
            "videoDownloadFlag": DOWNLOADABLE,
            "thumbUrl": thumb,
            "thumbDownloadFlag": DOWNLOADABLE,
            "snapshotUrl": thumb,
            "snapshotWidth": payload["thumbWidth"],
            "snapshotHeight": payload["thumbHeight"],
            "snapshotSize": payload["thumbSize"],
        }
    return payload


def without_links(msg_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What a recalled media message still shows: its shape, no way to fetch it."""
    if msg_type == IMAGE:
        versions = [_version(e) for e in payload["imageInfoArray"]]
        return {**_public(payload), "imageInfoArray": versions}
    return _public(payload)


# Stored for serving the objects; not part of TIM's element.
INTERNAL_KEYS = frozenset({"contentType", "videoContentType", "thumbContentType"})


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in INTERNAL_KEYS}


def _version(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("variant", "contentType")}
