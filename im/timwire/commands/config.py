"""The SDK's own housekeeping: cloud config, purchase bits, the file auth key, telemetry.

Answered before login too: the SDK may ask as soon as it has a socket.
"""

from __future__ import annotations

from typing import Any

from im.timwire.commands import Call, command

# How long the SDK keeps what these answers say before asking again (seconds).
CONFIG_LIFETIME = 3600
# TIM's "purchase bits" switch on the SDK's paid extras (message search, conversation
# marks and groups, user status, message extensions, community groups, group counters,
# AVChatRoom extras). Hutong has none of them in TIM's form, so every bit is 0 and the
# SDK refuses those methods itself with its own code (3122, CANNOT_USE_COMMERCIAL_ABILITY)
# instead of asking. Everything else the SDK does is ungated.
PURCHASE_BITS = "0"


@command("im_sdk_config_mgr.fetch_config", anonymous=True)
def fetch_config(call: Call) -> dict[str, Any]:
    version = call.body.get("uint64_version", 0)
    return {
        "int32_error_code": 0,
        "str_error_message": "",
        "str_json_config": "{}",
        "uint32_expired_time": CONFIG_LIFETIME,
        "uint32_sdkappid": call.body.get("uint32_sdkappid", 0),
        "uint64_version": version if isinstance(version, int) else 0,
    }


@command("im_sdk_config_mgr.fetch_imsdk_purchase_bitsv2", anonymous=True)
def fetch_purchase_bits(call: Call) -> dict[str, Any]:
    # An error here makes the SDK ask again every second: this always succeeds.
    return {
        "int32_error_code": 0,
        "str_error_message": "",
        "str_purchase_bits": PURCHASE_BITS,
        "uint32_expired_time": CONFIG_LIFETIME,
    }


@command("openim.authkey")
def auth_key(call: Call) -> dict[str, Any]:
    """TIM's key for its legacy file downloads; Hutong's links are signed each time
    they are handed out, so there is no key to give."""
    return {"AuthKey": "", "ExpireTime": CONFIG_LIFETIME}


@command("imopenstat.tim_web_report_v2", anonymous=True)
def telemetry(call: Call) -> dict[str, Any]:
    """The SDK's telemetry, sent over the socket in proxy mode: accepted, not kept
    (Hutong has its own logs and metrics)."""
    return {}
