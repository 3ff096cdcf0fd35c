"""TIM's REST-only error numbers (the rest are ``im.errors``'s, shared by every adapter)."""

from __future__ import annotations

from im.errors import FRIENDSHIP_INVALID_PARAMS, GROUP_INVALID_PARAMS

HTTP_PARSE_ERROR = 60002  # the URL or the query is not what the API takes
NOT_FOUND = 60009  # no such service or command (TIM: "request resource error, check the URL")
NEEDS_ADMIN = 60010  # the identifier is not an app administrator
NEEDS_SDKAPPID = 60012  # the query lacks sdkappid or identifier
RATE_LIMITED = 60007  # a command called more often than the app's REST rate

# Each service's "invalid parameter" (also its malformed-body answer).
ACCOUNT_INVALID = 70402  # im_open_login_svc
OPENIM_INVALID = 90001  # openim: the body's JSON is not what the command takes
GROUP_INVALID = GROUP_INVALID_PARAMS  # group_open_http_svc
PROFILE_INVALID = 40001  # profile
SNS_INVALID = FRIENDSHIP_INVALID_PARAMS  # sns

# openim
BATCH_TOO_MANY = 90011  # batchsendmsg over 500 receivers
MSG_ACCOUNT_NOT_FOUND = 90012  # From_Account or To_Account is not an account
