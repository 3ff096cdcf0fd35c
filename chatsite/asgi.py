"""ASGI entry point: HTTP goes to Django (but for the file system default's upload
endpoint, ``im.uploadapp``, which streams a body to the store), /ws/im/ to the IM
consumer and /tim/binfo, /tim/info to TIM's wire protocol (``im.timwire``), for pages on
allowed origins only (``im.origins``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
# Static files are served by WhiteNoise's middleware, so one daphne command serves a
# complete site; a deployment may put a web server or CDN in front instead.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from im.consumers import IMConsumer  # noqa: E402
from im.origins import OriginValidator  # noqa: E402
from im.timwire.consumer import TIMConsumer  # noqa: E402
from im.uploadapp import UploadApp  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": UploadApp(django_asgi_app),
        "websocket": OriginValidator(
            URLRouter(
                [
                    path("ws/im/", IMConsumer.as_asgi()),
                    # Tencent's tim-js-sdk with proxyServer ws(s)://<host>/tim.
                    path("tim/binfo", TIMConsumer.as_asgi()),
                    path("tim/info", TIMConsumer.as_asgi()),
                ]
            )
        ),
    }
)
