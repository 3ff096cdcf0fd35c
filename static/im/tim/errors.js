/**
 * The codes the SDK's promises reject with, named once. They are TIM's numbers and
 * never renumbered: the server's (im/errors.py) reach a page unchanged, and the ones
 * the SDK raises itself are the seed's native TIM codes, not the web SDK's 2xxx/3xxx
 * (shared/tim-api/API.md §6.3). Pages compare `error.code` with these names.
 */
export const ERROR = Object.freeze({
  // Raised by the SDK itself.
  INVALID_CONVERSATION: 6004,
  REQUEST_FAILED: 6010, // no connection, no answer in time, or the connection closed
  NOT_INITIALISED: 6013, // the instance was destroyed
  NOT_LOGGED_IN: 6014, // also what an operator's kick leaves: "forced offline"
  IN_PROGRESS: 6015, // a login already running, or another account logged in
  SESSION_EXPIRED: 6206, // the UserSig ran out while logged in
  KICKED_OUT: 6208, // a login of this account elsewhere took over

  // The server's (im/errors.py), as they come back from it.
  UNKNOWN_OP: 60002,
  INVALID_JSON: 60003,
  INVALID_PARAMS: 6017,
  SDKAPPID_DISABLED: 60016,
  RATE_LIMITED: 2996, // sends per account, logins per address: wait and try again
  ORIGIN_REFUSED: 4403, // this page's origin may not connect (IM_ALLOWED_ORIGINS); also the close code
  USERSIG_EXPIRED: 70001,
  USERSIG_EMPTY: 70002,
  USERSIG_MALFORMED: 70003,
  USERSIG_BAD_SIGNATURE: 70009,
  USERSIG_IDENTIFIER_MISMATCH: 70013,
  USERSIG_SDKAPPID_MISMATCH: 70014,
  SDKAPPID_NOT_FOUND: 70020,
  ACCOUNT_DISABLED: 70051,
  ACCOUNT_NOT_FOUND: 70107,
  INTERNAL_ERROR: 70500,
  GROUP_INVALID_PARAMS: 10004,
  NO_PERMISSION: 10007,
  OWNER_CANNOT_QUIT: 10009,
  GROUP_NOT_FOUND: 10010,
  GROUP_FULL: 10014,
  GROUP_ID_INVALID: 10015,
  CALLBACK_REFUSED: 10016, // the app's back end refused it: error.message says why
  SENDER_MUTED: 10017,
  GROUP_MEMBER_ACCOUNT_MISSING: 10019,
  GROUP_ID_IN_USE: 10021,
  GROUP_RATE_LIMITED: 10023, // the group took its messages for this second: send again
  APPLICATION_HANDLED: 10024,
  MESSAGE_NOT_FOUND: 10030,
  GROUP_REVOKE_TIME_LIMIT: 10031,
  MESSAGE_NOT_REVOCABLE: 10032,
  GROUP_TYPE_NO_REVOKE: 10033,
  C2C_INVALID_RECEIVER: 20003,
  C2C_IN_PEER_BLACKLIST: 20007, // the receiver blacklisted you: nothing was sent
  C2C_REVOKE_TIME_LIMIT: 20016,
  FRIENDSHIP_INVALID_PARAMS: 30001,
  FRIENDSHIP_ACCOUNT_NOT_FOUND: 30003,
  BLACKLIST_LIMIT: 30013,
  BLACKLIST_SELF: 2742,
  MESSAGE_TOO_LONG: 80002,
  MESSAGE_DELETE_REFUSED: 2116, // deleteMessage of system notices
  FORWARD_REFUSED: 2453, // createForwardMessage of a group tip or notice
  // Uploads: the web SDK's own numbers per kind of file, which TIM pages already test
  // (the native SDK has one 7005 for every "too large").
  FILE_EMPTY: 2108,
  IMAGE_NOT_SELECTED: 2251, // raised by the SDK: payload.file holds no file
  IMAGE_BAD_TYPE: 2252,
  IMAGE_TOO_LARGE: 2253,
  AUDIO_UPLOAD_FAILED: 2300,
  AUDIO_TOO_LARGE: 2301,
  VIDEO_UPLOAD_FAILED: 2350,
  VIDEO_TOO_LARGE: 2351,
  VIDEO_BAD_TYPE: 2352,
  FILE_UPLOAD_FAILED: 2400,
  FILE_NOT_SELECTED: 2401, // raised by the SDK, as 2251
  FILE_TOO_LARGE: 2402,
  // Profiles: updateMyProfile's own two (the web SDK's), then TIM's profile codes.
  PROFILE_UNKNOWN_FIELD: 2721,
  PROFILE_NOTHING_TO_UPDATE: 2722,
  PROFILE_TAG_NOT_FOUND: 40009,
  PROFILE_VALUE_TOO_LONG: 40601,
  PROFILE_VALUE_INVALID: 40603,
  PROFILE_VALUE_TYPE: 40604,
  // The server's cap on a frame; the SDK raises it too, for a frame it will not
  // send, because the server could not tell which request such a frame was.
  FRAME_TOO_LARGE: 93000,
});

/** What every failed promise of the SDK rejects with: an Error with `code` and `data`. */
export class IMError extends Error {
  constructor(code, message, data = {}) {
    super(message);
    this.code = code;
    this.data = data;
  }
}
