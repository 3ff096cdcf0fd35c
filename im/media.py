"""The payloads of image, file, video and voice messages, as stored and as shown.

A stored payload names its objects by uuid only; the links are made each time a message
is serialised (``with_links``), so every history page or push carries fresh, signed
ones, and a recalled message carries none.

An *external* image or file (``EXTERNAL`` set in its payload) is one the app's back end
hosts itself and sent by URL through the REST API (``payloads.check_external_media``):
it names no upload, and its URLs are shown as they were given, never signed nor fetched.
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

# The payload key marking media the app's back end hosts (True), and the key of each
# of its links (an image version's, a file's).
EXTERNAL = "external"
EXTERNAL_TYPES = frozenset({IMAGE, FILE})
URL = "url"


def is_external(msg_type: str, payload: dict[str, Any]) -> bool:
    """Whether ``payload`` is media the app's back end hosts, named by URL."""
    return msg_type in EXTERNAL_TYPES and payload.get(EXTERNAL) is True


def uuids(msg_type: str, payload: dict[str, Any]) -> list[str]:
    """The uploads a media payload names (none for external media)."""
    if is_external(msg_type, payload):
        return []
    if msg_type == VIDEO:
        return [payload["videoUUID"], payload["thumbUUID"]]
    if msg_type in MEDIA_TYPES:
        return [payload["uuid"]]
    return []


def _url(app_pk: int, uuid: str, content_type: str, variant: str = "original", **kw: Any) -> str:
    return storage.download_url(storage.object_key(app_pk, uuid, variant), content_type, **kw)


def with_links(msg_type: str, payload: dict[str, Any], app_pk: int) -> dict[str, Any]:
    """``payload`` with the links its receiver's browser fetches."""
    if is_external(msg_type, payload):
        return _external_links(msg_type, payload)
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


def _external_links(msg_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """External media's own URLs, in the shape ``with_links`` gives an upload's."""
    if msg_type == IMAGE:
        versions = [
            {**_version(e), "url": e[URL], "imageUrl": e[URL]} for e in payload["imageInfoArray"]
        ]
        return {**_public(payload), "imageInfoArray": versions}
    return {**_public(payload), "fileUrl": payload[URL], "downloadFlag": DOWNLOADABLE}


def without_links(msg_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What a recalled media message still shows: its shape, no way to fetch it."""
    if msg_type == IMAGE:
        versions = [_version(e) for e in payload["imageInfoArray"]]
        return {**_public(payload), "imageInfoArray": versions}
    return _public(payload)


# Stored for serving the objects (or an external file's link, shown as fileUrl); not
# part of TIM's element.
INTERNAL_KEYS = frozenset({"contentType", "videoContentType", "thumbContentType", EXTERNAL, URL})


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in INTERNAL_KEYS}


def _version(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("variant", "contentType", URL)}
