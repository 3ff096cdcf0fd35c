"""ASGI entry point: HTTP goes to Django (but for the file system default's upload
endpoint, ``im.uploadapp``, which streams a body to the store), /ws/im/ to the IM
consumer."""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
# Django's own static handler (the one runserver uses) so one daphne command
# serves a complete site; a deployment may put a web server in front instead.
django_asgi_app = ASGIStaticFilesHandler(get_asgi_application())

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from im.consumers import IMConsumer  # noqa: E402
from im.uploadapp import UploadApp  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": UploadApp(django_asgi_app),
        "websocket": URLRouter([path("ws/im/", IMConsumer.as_asgi())]),
    }
)
