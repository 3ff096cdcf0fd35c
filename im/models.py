"""Hutong's storage of record.

A message is stored once per conversation; each account's view of a
conversation (read cursor, hidden flag) lives in ``Participant``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_WEB_INSTANCES = 10


class App(models.Model):
    """A TIM application: one SDKAppID, one secret key, its own accounts."""

    sdkappid = models.PositiveBigIntegerField(_("SDKAppID"), unique=True)
    secret_key = models.CharField(_("secret key"), max_length=128)
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    max_web_instances = models.PositiveSmallIntegerField(
        _("web instances online at once"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEB_INSTANCES)],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")

    def __str__(self) -> str:
        return f"{self.sdkappid} {self.name}".strip()


class Account(models.Model):
    """One userID inside one app. Its primary key doubles as TIM's tinyID."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="accounts")
    user_id = models.CharField(_("userID"), max_length=32)
    nick = models.CharField(_("nick"), max_length=100, blank=True)
    avatar = models.URLField(_("avatar"), max_length=500, blank=True)
    site_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="im_accounts",
        verbose_name=_("site user"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["app", "user_id"], name="account_unique_userid")
        ]

    def __str__(self) -> str:
        return self.user_id


class Conversation(models.Model):
    """A C2C pair or a group: the unit that owns a message sequence."""

    class Kind(models.TextChoices):
        C2C = "C2C", "C2C"
        GROUP = "GROUP", "GROUP"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # For C2C: the two accounts, the lower primary key first, so a pair has one row.
    account_low = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account_high = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_low", "account_high"],
                condition=models.Q(kind="C2C"),
                name="conversation_unique_c2c_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Participant(models.Model):
    """One account's side of a conversation: read cursor and visibility."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="participations")
    read_seq = models.PositiveBigIntegerField(default=0)
    is_hidden = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "account"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["account", "conversation"])]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.conversation_id}"


class Message(models.Model):
    """One message, stored once, numbered by its conversation's sequence."""

    class Priority(models.TextChoices):
        HIGH = "High", "High"
        NORMAL = "Normal", "Normal"
        LOW = "Low", "Low"
        LOWEST = "Lowest", "Lowest"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveBigIntegerField()
    sender = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32)
    payload = models.JSONField()
    created_at = models.DateTimeField(db_index=True)
    # What the sending client chose, kept so a resend finds the stored message.
    random = models.PositiveBigIntegerField()
    client_time = models.PositiveBigIntegerField()
    client_seq = models.PositiveBigIntegerField(default=0)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    cloud_custom_data = models.TextField(blank=True, default="")
    is_revoked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "sender", "random", "client_time"],
                name="message_unique_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.seq}"
