"""Images and files sent from Tencent's SDK: its upload link (``im_cos_msg.pre_sig``)
and the media elements of its sends, over Hutong's uploads (``im.services.uploads``).

The SDK, with ``tim-upload-plugin`` registered, asks ``pre_sig`` for a link per file,
naming its kind (``file_type``) and a name of its own making, not the file's size; it
PUTs the file to ``upload_url`` (expecting 200) and sends the message with
``download_url`` as the element's URL. So: ``pre_sig`` announces an upload of unknown
size (``check_create_upload``) and answers Hutong's upload link and a link to the
original; a send whose element names such a link finishes that upload first, in a
thread of its own (``check_finish_upload``: the size against the kind's limit, an image
decoded by Pillow), and is then sent naming the upload like any (``check_send_message``
checks it is the sender's own, finished and of the element's kind). docs/tim-sdk.md.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urljoin

from im import media, params
from im.errors import INVALID_PARAMS, IMError
from im.models import Upload
from im.services import uploads
from im.timwire.commands import Body, Call, Handler, command

# The SDK's file_type: TIM's image, file. Voice and video (3, 2) it uploads only from
# mini-programs (and a video with a cover TIM makes), which Hutong does not serve.
FILE_TYPES = {1: Upload.Kind.IMAGE, 255: Upload.Kind.FILE}
# What a name the SDK made tells of its type when its extension tells nothing.
UNKNOWN_TYPE = "application/octet-stream"


def _absolute(origin: str, url: str) -> str:
    # The file system store's links are paths; an S3 store's are absolute already.
    return urljoin(origin + "/", url)


# The SDK names its session by its UserSig here, as TIM's COS services take it.
@command("im_cos_msg.pre_sig", by_usersig=True)
def upload_link(call: Call) -> dict[str, Any]:
    body = call.body
    file_type = params.get_int(body, "file_type")
    kind = FILE_TYPES.get(file_type)
    if kind is None:
        raise IMError(INVALID_PARAMS, f"file_type {file_type}: Hutong takes images and files")
    name = params.get_str(body, "file_name")
    content_type = mimetypes.guess_type(name)[0] or UNKNOWN_TYPE
    upload, target = uploads.check_create_upload(
        account=call.account, kind=kind, file_name=name, size=None, content_type=content_type
    )
    return {
        "upload_url": _absolute(call.origin, target.url),
        "download_url": _absolute(call.origin, uploads.original_link(upload)),
        "expired_time": int(upload.expires_at.timestamp()),
        "request_id": upload.uuid,
    }


def _upload_named(url: object, what: str) -> str:
    uuid = uploads.uuid_of_link(url) if isinstance(url, str) else None
    if uuid is None:
        raise IMError(INVALID_PARAMS, f"{what} is not a link Hutong gave for an upload")
    return uuid


def media_element(msg_type: str, content: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A TIMImageElem's or TIMFileElem's ``MsgContent`` as the payload Hutong's send
    takes (the upload its URL names), and the file's name to show (None for an image)."""
    if msg_type == media.IMAGE:
        versions = content.get("ImageInfoArray")
        if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
            raise IMError(INVALID_PARAMS, "ImageInfoArray must name the uploaded image")
        # The original's URL; the SDK makes the others from it.
        return {"uuid": _upload_named(versions[0].get("URL"), "ImageInfoArray's URL")}, None
    name = params.get_str(content, "FileName")
    return {"uuid": _upload_named(content.get("Url"), "Url")}, name


MEDIA_ELEMENTS = frozenset({media.IMAGE, media.FILE})


def _named_uploads(body: Body) -> list[tuple[str, str | None]]:
    elements = body.get("MsgBody")
    if not isinstance(elements, list) or len(elements) != 1:  # refused by the send
        return []
    named = []
    for element in elements:
        if isinstance(element, dict) and element.get("MsgType") in MEDIA_ELEMENTS:
            content = element.get("MsgContent")
            if isinstance(content, dict):
                payload, name = media_element(element["MsgType"], content)
                named.append((payload["uuid"], name))
    return named


def finishing(call: Call) -> Handler | None:
    """For a send of an image or a file: finishing its upload, to run before the send
    (the ``first`` of the send commands). A send of anything else needs none."""
    named = _named_uploads(call.body)
    if not named:
        return None

    def finish(call: Call) -> Body:
        for uuid, name in named:
            uploads.check_finish_upload(account=call.account, uuid=uuid, file_name=name)
        return {}

    return finish
