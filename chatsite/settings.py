"""Hutong settings: environment variables over embedded defaults (twelve-factor).

With nothing set, Hutong runs on SQLite under var/, the in-memory channel
layer and local files, so ``make run`` works on a fresh machine.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HUTONG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else one generated once and kept under var/."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]

# Behind a proxy that ends TLS (HUTONG_HTTPS=true): the proxy says the request was
# https in X-Forwarded-Proto (it must set it, and strip a client's own), plain http is
# redirected, cookies are sent over https only, and browsers are told to keep to https
# (HSTS) for HUTONG_HSTS_SECONDS. `manage.py check --deploy` is clean with the README's
# production environment.
HTTPS = _env_bool("HUTONG_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HUTONG_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HUTONG_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = _env_bool("HUTONG_HSTS_PRELOAD", False)
# Origins whose forms may post to this site besides its own (e.g. a second host name).
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "im",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, before anything that reads the session or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- database ---
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hutong.sqlite3'}"),
        conn_max_age=600,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout so a burst of senders waits instead of failing with
    # "database is locked"; IMMEDIATE so a write transaction takes its lock up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (so test daphne processes can share it), one per run (so runs can overlap).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_hutong_{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- channel layer ---
REDIS_URL = os.environ.get("REDIS_URL", "")
# Names in Redis (channels, rate buckets) are namespaced so several deployments (or test
# runs) can share one Redis.
REDIS_PREFIX = os.environ.get("HUTONG_CHANNEL_PREFIX", "hutong")
if REDIS_URL:
    # Redis pub/sub: a push is one PUBLISH, heard by the processes that subscribed
    # (each process's fan-out subscribes once per account or IM group it serves).
    # Pushes are hints (clients catch up with syncMessages), so pub/sub's
    # fire-and-forget delivery loses nothing a client keeps.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": REDIS_PREFIX,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "im.layers.SweepingInMemoryChannelLayer",
            "CONFIG": {"capacity": 100_000},
        }
    }

# --- auth ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Password sign-ins (the site's and the admin's) are throttled by django-axes: after
# IM_LOGIN_FAILURE_LIMIT failures for one username, or from one IP address, further
# attempts for it are refused for IM_LOGIN_COOLOFF_MINUTES, even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("IM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("IM_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "im.views.locked_out"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat"
LOGOUT_REDIRECT_URL = "login"
# The sign-up page (/accounts/signup/): off unless HUTONG_SIGNUP is set; while off, its
# URL answers 404 and the sign-in page does not link to it.
HUTONG_SIGNUP = _env_bool("HUTONG_SIGNUP", False)

# --- email (password resets) ---
# With no EMAIL_HOST, emails are written to the server's console (the embedded default:
# an operator reads the reset link there); with one, they go out over SMTP.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hutong <noreply@localhost>")

# --- i18n ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- static and uploaded files ---
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("HUTONG_STATIC_ROOT", VAR_DIR / "staticfiles"))
# Served by WhiteNoise from STATIC_ROOT (filled by collectstatic), with a minute's
# Cache-Control and the gzip copies; with DEBUG, straight from the sources as they change.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Message media (im/storage.py): an S3-compatible store when IM_S3_BUCKET is set (Tencent
# COS, AWS S3, MinIO, Ceph), else files under var/media/im served by Django. Either way
# the links in messages are signed and expire after IM_MEDIA_URL_EXPIRE seconds (unless
# IM_S3_PUBLIC_READ says the bucket is public), and a client has IM_UPLOAD_URL_EXPIRE
# seconds to put a file it announced.
IM_MEDIA_URL_EXPIRE = int(os.environ.get("IM_MEDIA_URL_EXPIRE", "3600"))
IM_UPLOAD_URL_EXPIRE = int(os.environ.get("IM_UPLOAD_URL_EXPIRE", "900"))
IM_S3_BUCKET = os.environ.get("IM_S3_BUCKET", "")
if IM_S3_BUCKET:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": IM_S3_BUCKET,
            "endpoint_url": os.environ.get("IM_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("IM_S3_REGION") or None,
            "access_key": os.environ.get("IM_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("IM_S3_SECRET_ACCESS_KEY") or None,
            # COS wants "virtual" (bucket.cos.region.myqcloud.com); MinIO and moto "path".
            "addressing_style": os.environ.get("IM_S3_ADDRESSING_STYLE") or None,
            "custom_domain": os.environ.get("IM_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": not _env_bool("IM_S3_PUBLIC_READ", False),
            "querystring_expire": IM_MEDIA_URL_EXPIRE,
            "signature_version": "s3v4",
            "file_overwrite": True,
        },
    }
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "im"},
    }


def _media_origins(options: dict) -> list[str]:
    """Where browsers fetch and put message media when it is in a bucket: the custom
    domain, else the store's endpoint (with the bucket's name in front of its host when
    the addressing is virtual), else AWS's two forms of bucket host."""
    if domain := options.get("custom_domain"):
        return [f"https://{domain}"]
    bucket = options["bucket_name"]
    if endpoint := options.get("endpoint_url"):
        parts = urlsplit(endpoint)
        host = parts.netloc
        if options.get("addressing_style") == "virtual":
            host = f"{bucket}.{host}"
        return [f"{parts.scheme}://{host}"]
    region = options.get("region_name") or "us-east-1"
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


IM_MEDIA_ORIGINS = _media_origins(_media_storage["OPTIONS"]) if IM_S3_BUCKET else []
# Content-Security-Policy on every page (django-csp): scripts only from this site (the
# pages have no inline script); styles may be inline (the admin's own templates use
# style attributes); pictures, voice and video from this site, blob: previews, the
# media bucket, and avatars, which TIM lets be any https URL; sockets and uploads to
# this site and the bucket.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https:", *IM_MEDIA_ORIGINS],
        "media-src": ["'self'", "blob:", *IM_MEDIA_ORIGINS],
        "connect-src": ["'self'", *IM_MEDIA_ORIGINS],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic (make run, make test) writes gzip copies beside the files, which
    # WhiteNoise serves to browsers that take them.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "im-media": _media_storage,
}

# --- Hutong ---
# The app the chat pages sign their users into, and how long their sigs live.
IM_SITE_SDKAPPID = int(os.environ.get("IM_SITE_SDKAPPID", "1400000001"))
# Hours, not days: the page renews its sig before it expires (renewUserSig), so a sig
# that leaks from a browser is good for little time.
IM_SITE_USERSIG_EXPIRE = int(os.environ.get("IM_SITE_USERSIG_EXPIRE", str(4 * 3600)))
# Web pages on other sites that may use Hutong's SDK: their WebSocket handshakes and
# upload requests are let in (im/origins.py). The site's own origin always is.
IM_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("IM_ALLOWED_ORIGINS", "").split(",") if o.strip()
]
# Where pages reach this server (https://im.example.com): the file system store's media
# links are paths, which Tencent's tim-js-sdk cannot resolve, so TIM's frames carry
# them absolute against this (docs/tim-sdk.md). Unset: as paths.
IM_PUBLIC_URL = os.environ.get("IM_PUBLIC_URL", "").rstrip("/")
# WebSocket logins from one network address: a second, and at once (0: no limit).
IM_LOGIN_RATE = float(os.environ.get("IM_LOGIN_RATE", "20"))
IM_LOGIN_BURST = int(os.environ.get("IM_LOGIN_BURST", "100"))
# The REST API (/v4/...): calls a second per app and command, as TIM's default (0: no
# limit), and the largest request body it reads (a batch of 500 receivers fits easily).
IM_REST_RATE = float(os.environ.get("IM_REST_RATE", "200"))
IM_REST_MAX_BODY_BYTES = 1024 * 1024
# Largest WebSocket frame the server reads; a bigger one is refused unread.
IM_MAX_FRAME_BYTES = 64 * 1024
# Seconds a new (or logged-out) connection has to log in before it is closed (4401).
IM_LOGIN_TIMEOUT = 30
# Seconds without any frame from a client before it is taken for gone (4408);
# clients send a heartbeat every 30 s. Daphne also pings at the WebSocket level.
IM_IDLE_TIMEOUT = 90

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
