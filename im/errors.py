"""The one error type of Hutong and its frozen numeric codes.

Codes are TIM's numbers (server codes from Tencent's error tables, SDK codes
from the seed's table). They are part of the public protocol: never renumber.
"""

from __future__ import annotations

# --- request shape (REST/common codes, 60002-60020) ---
UNKNOWN_OP = 60002  # the op names no known operation
INVALID_JSON = 60003  # a frame that is not a JSON object
FRAME_TOO_LARGE = 93000  # a frame over the server's size cap
INVALID_PARAMS = 6017  # a missing or wrongly typed field
SDKAPPID_DISABLED = 60016
RATE_LIMITED = 2996  # the web SDK's "frequency limit": sends per account, logins per address

# --- session ---
NOT_LOGGED_IN = 6014  # an op other than login before login succeeded
ALREADY_LOGGED_IN = 6015  # login twice on one connection ("operation in progress")
KICKED_OUT = 6208  # this instance was kicked out (another login of the account); log in again

# --- UserSig / account (70001-70500) ---
USERSIG_EXPIRED = 70001
USERSIG_EMPTY = 70002
USERSIG_MALFORMED = 70003
USERSIG_BAD_SIGNATURE = 70009  # signed with another key
USERSIG_IDENTIFIER_MISMATCH = 70013
USERSIG_SDKAPPID_MISMATCH = 70014
SDKAPPID_NOT_FOUND = 70020
ACCOUNT_DISABLED = 70051  # an operator disabled the account (TIM: blacklisted)
ACCOUNT_NOT_FOUND = 70107
INTERNAL_ERROR = 70500  # the server failed; the op may be retried

# --- groups (10002-10038) ---
GROUP_INVALID_PARAMS = 10004
NO_PERMISSION = 10007  # not a member, or not owner/admin where that is needed
OWNER_CANNOT_QUIT = 10009  # the owner of a group that is not Private
GROUP_NOT_FOUND = 10010
GROUP_FULL = 10014
GROUP_ID_INVALID = 10015
GROUP_MEMBER_ACCOUNT_MISSING = 10019
CALLBACK_REFUSED = 10016  # the app's back end refused it in a before-callback
GROUP_ID_IN_USE = 10021
GROUP_RATE_LIMITED = 10023  # the group takes no more messages this second (40 by default)
APPLICATION_HANDLED = 10024  # no pending application: already handled
SENDER_MUTED = 10017
MESSAGE_NOT_FOUND = 10030
GROUP_REVOKE_TIME_LIMIT = 10031
MESSAGE_NOT_REVOCABLE = 10032
GROUP_TYPE_NO_REVOKE = 10033
C2C_REVOKE_TIME_LIMIT = 20016

# --- uploads (the web SDK's numbers for each kind of file) ---
FILE_EMPTY = 2108
IMAGE_BAD_TYPE = 2252  # not an image of an accepted format
IMAGE_TOO_LARGE = 2253  # over the size or pixel limit
AUDIO_UPLOAD_FAILED = 2300
AUDIO_TOO_LARGE = 2301
VIDEO_UPLOAD_FAILED = 2350
VIDEO_TOO_LARGE = 2351
VIDEO_BAD_TYPE = 2352
FILE_UPLOAD_FAILED = 2400  # also an image's: missing, late or not the announced size
FILE_TOO_LARGE = 2402

# --- profiles (TIM's profile codes, 40001-40610; 2721/2722 are the web SDK's own) ---
PROFILE_UNKNOWN_FIELD = 2721  # updateMyProfile: not a profile field, or a malformed list
PROFILE_NOTHING_TO_UPDATE = 2722  # updateMyProfile with no field at all
PROFILE_TAG_NOT_FOUND = 40009  # a custom field key that is not Tag_Profile_Custom_<1-8>
PROFILE_VALUE_TOO_LONG = 40601  # a value over 500 bytes
PROFILE_VALUE_INVALID = 40603  # a value outside the field's range or choices
PROFILE_VALUE_TYPE = 40604  # a value of the wrong type (a number where text is due...)

# --- messages ---
MESSAGE_TOO_LONG = 80002  # message body over 12 KB
C2C_INVALID_RECEIVER = 20003  # invalid userID in a C2C send
C2C_IN_PEER_BLACKLIST = 20007  # the receiver has the sender on its blacklist
MESSAGE_DELETE_REFUSED = 2116  # deleteMessage of system notices (the web SDK's code)
FORWARD_REFUSED = 2453  # createForwardMessage of a group tip or notice (the web SDK's code)

# --- relationship chain: the blacklist (TIM's ERR_SVR_FRIENDSHIP_*, 30001-31804) ---
FRIENDSHIP_INVALID_PARAMS = 30001  # e.g. an empty userIDList, or over 1,000 in one call
FRIENDSHIP_ACCOUNT_NOT_FOUND = 30003
BLACKLIST_LIMIT = 30013  # the blacklist would pass its 1,000 entries
BLACKLIST_SELF = 2742  # the web SDK's "you cannot blacklist yourself"
INVALID_CONVERSATION = 6004


class IMError(Exception):
    """A refusal with TIM's numeric code and a readable message.

    Every adapter turns it into ``{"code": N, "message": "..."}``.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"IMError({self.code}, {self.message!r})"
