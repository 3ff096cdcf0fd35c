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
    revoke_window = models.PositiveIntegerField(
        _("revoke window (seconds)"),
        default=120,
        help_text=_("How long after sending a message its sender may recall it."),
    )
    message_retention_days = models.PositiveIntegerField(
        _("message retention (days)"),
        default=7,
        help_text=_("Messages older than this are deleted by `manage.py impurge`; 0 keeps them."),
    )
    send_rate = models.PositiveIntegerField(
        _("messages a second per account"),
        default=10,
        help_text=_(
            "How many messages one account may send a second, on all its connections "
            "together, once its burst is spent; 0 for no limit."
        ),
    )
    send_burst = models.PositiveIntegerField(
        _("message burst per account"),
        default=40,
        validators=[MinValueValidator(1)],
        help_text=_("How many messages an account that sent none for a while may send at once."),
    )
    max_message_bytes = models.PositiveIntegerField(
        _("largest message (bytes)"),
        default=12 * 1024,
        validators=[MinValueValidator(1024), MaxValueValidator(64 * 1024)],
        help_text=_(
            "The most one message may store: its content and cloudCustomData together "
            "(TIM's 12 KB by default)."
        ),
    )
    group_message_rate = models.PositiveIntegerField(
        _("messages a second per group"),
        default=40,
        help_text=_(
            "How many messages one group takes a second (TIM's 40); past a share of it "
            "the lower priorities are refused first, High last. 0 for no limit."
        ),
    )
    # TIM's third-party callbacks (im/hooks.py): where the app's back end listens, the
    # token it checks callbacks' signatures with, the CallbackCommands it wants, and
    # whether a back end that does not answer a before-callback refuses the action.
    callback_url = models.URLField(_("callback URL"), max_length=500, blank=True)
    callback_token = models.CharField(_("callback token"), max_length=128, blank=True)
    callback_commands = models.JSONField(_("callback commands"), default=list, blank=True)
    callback_fail_closed = models.BooleanField(
        _("refuse when the callback fails"),
        default=False,
        help_text=_(
            "Off (TIM's behaviour): an action goes ahead when the back end does not answer "
            "a before-callback within 2 s. On: it is refused."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        permissions = [("rotate_app_secret", _("Can rotate an app's secret key"))]

    def __str__(self) -> str:
        return f"{self.sdkappid} {self.name}".strip()


class Account(models.Model):
    """One userID inside one app. Its primary key doubles as TIM's tinyID.

    TIM's profile (``Tag_Profile_IM_*`` and ``Tag_Profile_Custom_*``) lives on this row
    rather than in a one-to-one table: every message, conversation and member list shows
    its sender's nick and avatar and already loads the account for that, so the profile
    comes with no join or query of its own, and a first login writes one row, not two.
    """

    class Gender(models.TextChoices):
        UNKNOWN = "Gender_Type_Unknown", "Gender_Type_Unknown"
        FEMALE = "Gender_Type_Female", "Gender_Type_Female"
        MALE = "Gender_Type_Male", "Gender_Type_Male"

    class AllowType(models.TextChoices):
        ALLOW_ANY = "AllowType_Type_AllowAny", "AllowType_Type_AllowAny"
        NEED_CONFIRM = "AllowType_Type_NeedConfirm", "AllowType_Type_NeedConfirm"
        DENY_ANY = "AllowType_Type_DenyAny", "AllowType_Type_DenyAny"

    class AdminForbidType(models.TextChoices):
        NONE = "AdminForbid_Type_None", "AdminForbid_Type_None"
        SEND_OUT = "AdminForbid_Type_SendOut", "AdminForbid_Type_SendOut"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="accounts")
    user_id = models.CharField(_("userID"), max_length=32)
    # TIM's limit is 500 bytes, checked in bytes by im.services.profiles.
    nick = models.CharField(_("nick"), max_length=500, blank=True)
    avatar = models.URLField(_("avatar"), max_length=500, blank=True)
    # An uploaded avatar (an ``avatar`` Upload's uuid): its link is signed afresh each
    # time a profile is serialised, like message media. Set, it wins over ``avatar``.
    avatar_upload = models.CharField(_("uploaded avatar"), max_length=32, blank=True)
    gender = models.CharField(
        _("gender"), max_length=24, choices=Gender.choices, default=Gender.UNKNOWN
    )
    self_signature = models.CharField(_("signature"), max_length=500, blank=True)
    allow_type = models.CharField(
        _("friend requests"), max_length=32, choices=AllowType.choices, default=AllowType.ALLOW_ANY
    )
    # TIM's uint32 fields; birthday is by convention YYYYMMDD, which TIM does not check.
    birthday = models.PositiveBigIntegerField(_("birthday"), default=0)
    location = models.CharField(_("location"), max_length=16, blank=True)
    language = models.PositiveBigIntegerField(_("language"), default=0)
    message_settings = models.PositiveSmallIntegerField(_("message settings"), default=0)
    admin_forbid_type = models.CharField(
        _("admin forbid type"),
        max_length=32,
        choices=AdminForbidType.choices,
        default=AdminForbidType.NONE,
    )
    level = models.PositiveBigIntegerField(_("level"), default=0)
    role = models.PositiveBigIntegerField(_("role"), default=0)
    profile_custom_fields = models.JSONField(_("profile custom fields"), default=dict, blank=True)
    profile_updated_at = models.DateTimeField(_("profile updated"), null=True, blank=True)
    # TIM's "App administrator": fills Public and ChatRoom groups directly.
    is_admin = models.BooleanField(_("app administrator"), default=False)
    # Set by an operator: the account's sessions are kicked and its logins refused.
    is_disabled = models.BooleanField(_("disabled"), default=False)
    # Set by the REST API's account_delete: the account reads as not imported and its
    # profile is reset; its next login or import brings it back (messages it sent stay
    # in its peers' histories, as rows every conversation needs).
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
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
        permissions = [
            ("kick_account", _("Can kick out an account's instances")),
            ("disable_account", _("Can disable and re-enable accounts")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["app", "user_id"], name="account_unique_userid")
        ]

    def __str__(self) -> str:
        return self.user_id


# The columns a profile change writes (what a session reloads after one elsewhere).
PROFILE_COLUMNS = (
    "nick",
    "avatar",
    "avatar_upload",
    "gender",
    "self_signature",
    "allow_type",
    "birthday",
    "location",
    "language",
    "message_settings",
    "admin_forbid_type",
    "level",
    "role",
    "profile_custom_fields",
    "profile_updated_at",
)


class Group(models.Model):
    """A TIM group. Its messages live in its one GROUP conversation."""

    class Type(models.TextChoices):
        PRIVATE = "Private", "Private (Work)"
        PUBLIC = "Public", "Public"
        CHATROOM = "ChatRoom", "ChatRoom (Meeting)"
        AVCHATROOM = "AVChatRoom", "AVChatRoom"
        COMMUNITY = "Community", "Community"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="groups")
    group_id = models.CharField(_("groupID"), max_length=48)
    name = models.CharField(_("name"), max_length=30)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    owner = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    introduction = models.CharField(_("introduction"), max_length=240, blank=True)
    notification = models.CharField(_("notification"), max_length=300, blank=True)
    avatar = models.CharField(_("avatar"), max_length=100, blank=True)
    max_member_num = models.PositiveIntegerField(_("max members"), default=0)
    join_option = models.CharField(_("join option"), max_length=16, default="FreeAccess")
    invite_option = models.CharField(_("invite option"), max_length=16, default="FreeAccess")
    mute_all_members = models.BooleanField(_("mute all members"), default=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        # Never plain "group": Django's admin already lists its permission groups so.
        verbose_name = _("chat group")
        verbose_name_plural = _("chat groups")
        permissions = [
            ("manage_chat_group_members", _("Can add, remove, mute and set roles of members")),
            ("dismiss_chat_group", _("Can dismiss chat groups")),
            ("send_chat_group_notice", _("Can send custom system notices to chat groups")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["app", "group_id"], name="group_unique_groupid")
        ]

    def __str__(self) -> str:
        return self.group_id


class GroupMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "Owner", "Owner"
        ADMIN = "Admin", "Admin"
        MEMBER = "Member", "Member"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    name_card = models.CharField(max_length=50, blank=True)
    mute_until = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    # The group conversation's last sequence when the member joined: in a group whose
    # history is not shown to newcomers (Private, Public), its history starts after it.
    visible_after_seq = models.PositiveBigIntegerField(default=0)

    class RemindType(models.TextChoices):
        """TIM's messageRemindType: Discard stops the group's pushes to the member;
        AcceptNotNotify delivers them without an unread badge."""

        ACCEPT_AND_NOTIFY = "AcceptAndNotify", "AcceptAndNotify"
        ACCEPT_NOT_NOTIFY = "AcceptNotNotify", "AcceptNotNotify"
        DISCARD = "Discard", "Discard"

    custom_fields = models.JSONField(default=dict, blank=True)
    message_remind_type = models.CharField(
        max_length=16, choices=RemindType.choices, default=RemindType.ACCEPT_AND_NOTIFY
    )

    # True only on the app administrator's stand-in (im.permissions.access_manager),
    # which is never stored.
    is_operator = False

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="groupmember_unique")
        ]
        indexes = [models.Index(fields=["account", "group"])]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.group_id}"


class GroupApplication(models.Model):
    """A request to join a ``NeedPermission`` group, pending until an owner or admin
    handles it (TIM's join application, shown to them as a system notice)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "applicant"], name="application_unique")
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} to {self.group_id}"


class Conversation(models.Model):
    """A C2C pair, a group, or one account's system notices (TIM's ``@TIM#SYSTEM``):
    the unit that owns a message sequence."""

    class Kind(models.TextChoices):
        C2C = "C2C", "C2C"
        GROUP = "GROUP", "GROUP"
        SYSTEM = "@TIM#SYSTEM", "@TIM#SYSTEM"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For C2C: the two accounts, the lower primary key first, so a pair has one row.
    # For SYSTEM: ``account_low`` is the account whose notices these are.
    account_low = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account_high = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="conversation"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    # Bumped by every change a client must catch up on (a new message, a recall),
    # under the row lock, so it grows in commit order; see Message.change_seq.
    change_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_low", "account_high"],
                condition=models.Q(kind="C2C"),
                name="conversation_unique_c2c_pair",
            ),
            models.UniqueConstraint(
                fields=["account_low"],
                condition=models.Q(kind="@TIM#SYSTEM"),
                name="conversation_unique_system",
            ),
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
    # TIM's pinConversation: listed before the others.
    is_pinned = models.BooleanField(default=False)
    # A C2C conversation's messageRemindType for this account ("" until set; a group's
    # is its GroupMember's, which also governs the group's pushes).
    message_remind_type = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "account"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["account", "conversation"])]

    # Unread @mentions of the account here (``im.results.AtInfo``, oldest first): not
    # stored, attached by ``selectors.attach_group_at_info``, read by the serialiser.
    group_at_info: tuple = ()

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
    revoked_by = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The conversation's change_seq at this message's last change (creation or recall).
    change_seq = models.PositiveBigIntegerField(default=0)
    # TIM's ``atUserList`` of a group text message, as sent (userIDs, maybe MSG_AT_ALL);
    # the ``Mention`` rows are what is looked up.
    at_user_list = models.JSONField(default=list, blank=True)

    # The sender's group name card when the message is shown (TIM's ``nameCard``): not
    # stored, attached by the selectors and the group send, read by the serialiser.
    sender_name_card = ""
    # C2C: whether the receiver's read mark covers it (TIM's ``isPeerRead``, for the
    # sender's view): not stored, derived from the receiver's Participant.read_seq by
    # the selectors (``attach_peer_reads``).
    is_peer_read = False
    # Sent with ``onlineUserOnly``: never stored, pushed to whoever is online.
    is_online_only = False

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("recall_message", _("Can recall any message as the operator"))]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "sender", "random", "client_time"],
                name="message_unique_client_key",
            ),
        ]
        indexes = [models.Index(fields=["conversation", "change_seq"])]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.seq}"


class Mention(models.Model):
    """One @ in a stored group message: of one member (``account``), or of everyone
    (``account`` null, TIM's MSG_AT_ALL). A member's conversation lists those after
    their read mark in ``groupAtInfoList``; a separate table, because a JSON list
    cannot be searched the same way on SQLite and PostgreSQL."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    # The message's sequence, copied so the lookup needs no join.
    seq = models.PositiveBigIntegerField()
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["conversation", "seq"])]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.seq} @{self.account_id or 'all'}"


class DeletedMessage(models.Model):
    """A message one account deleted for itself (TIM's ``deleteMessage``): gone from
    that account's history, catch-up, last message and unread count, and from no one
    else's. The message itself stays for the other side."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "message"], name="deleted_message_unique")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} deleted by {self.account_id}"


class Instance(models.Model):
    """One logged-in connection of an account, on whichever server process holds it.

    The registry lives in the database so every process sees every instance;
    a kick reaches the instance through the channel layer by ``channel_name``.

    ``instance_id`` is the client's name for one ``login()``, kept across its
    reconnects. Such an instance is a session: when its connection drops, its row
    stays (``is_online`` false) until its UserSig expires, still counting towards the
    app's limit in the order of its ``login()``. Kicked, it stays with
    ``kicked_reason``, so that when it comes back (a laptop waking up) it is told it
    was kicked instead of kicking the newer instance in turn. Rows without an
    ``instance_id`` are one connection each and go when it closes.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="instances")
    channel_name = models.CharField(max_length=200, unique=True)
    instance_id = models.CharField(max_length=64, blank=True, default="")
    logged_in_at = models.DateTimeField()
    sig_expires_at = models.DateTimeField()
    is_online = models.BooleanField(default=True)
    kicked_reason = models.CharField(max_length=32, blank=True, default="")
    # The chat site's browser session that issued the sig (a keyed hash of its session
    # key, carried in the sig's userbuf): signing out there kicks these instances.
    site_session = models.CharField(max_length=32, blank=True, default="", db_index=True)

    class Meta:
        indexes = [models.Index(fields=["account", "logged_in_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.channel_name}"


class Upload(models.Model):
    """A file a client put in the media store for a message (``im/storage.py``), and
    what the server found when it checked it.

    ``uuid`` is TIM's uuid in message payloads and the unguessable part of the object
    keys; nothing of the client's file name is in a key. ``message`` is the one message
    that carries it; an upload no message carries is removed by ``imcleanuploads``.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "image"
        FILE = "file", "file"
        VIDEO = "video", "video"
        AUDIO = "audio", "audio"
        SNAPSHOT = "snapshot", "video snapshot"
        AVATAR = "avatar", "avatar"

    uuid = models.CharField(max_length=32, unique=True)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # For display only (a file message's fileName); never part of a key or a path.
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # The client must have put the object before this.
    expires_at = models.DateTimeField()
    is_ready = models.BooleanField(default=False)
    # What checking found: format, width and height, the derived versions of an image.
    info = models.JSONField(default=dict, blank=True)
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    # Set when a message first carries it: an upload with this set and no message lost
    # its message to retention.
    attached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["message", "created_at"])]

    def __str__(self) -> str:
        return self.uuid


class MessageHourCount(models.Model):
    """How many messages one app stored in one settled clock hour: a count that can no
    longer change, kept so the overview counts at most the past hour's messages on a
    load instead of the past day's (``im/stats.py``). Every app gets a row (zeros too)
    for each hour counted, so an hour with any row has been counted."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()  # the hour's start
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "app"], name="messagehourcount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.app_id} {self.hour:%Y-%m-%d %H:00}: {self.count}"


class BlacklistEntry(models.Model):
    """One account on another's blacklist (TIM's blocklist): ``blocked``'s C2C messages
    to ``owner`` are refused (``permissions.check_can_send_c2c``). One-way: ``owner``
    may still write to ``blocked``, and group messages are untouched."""

    owner = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blacklist_entries")
    blocked = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")
        constraints = [
            # Its index (owner first) serves both the owner's list and the send check.
            models.UniqueConstraint(fields=["owner", "blocked"], name="blacklistentry_unique"),
            models.CheckConstraint(
                condition=~models.Q(owner=models.F("blocked")), name="blacklistentry_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocked_id} blocked by {self.owner_id}"


class CallbackFailure(models.Model):
    """A callback the app's back end never took (im/hooks.py): a before-callback that
    failed or timed out, or an after-callback given up on after its retries."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    command = models.CharField(_("callback command"), max_length=64)
    body = models.JSONField(_("body"))
    error = models.CharField(_("error"), max_length=500)
    attempts = models.PositiveSmallIntegerField(_("attempts"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("callback failure")
        verbose_name_plural = _("callback failures")

    def __str__(self) -> str:
        return f"{self.command} ({self.error})"
