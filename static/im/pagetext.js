/**
 * What the chat page says for the SDK's codes and TIM's constants: a failure's
 * explanation (a profile's too), a group type, a member role, a remind type. No DOM here, so the node
 * tests can import it as it is; the texts take Django's JavaScript catalog functions
 * as `i18n`, as groupui.js does.
 */
import TIM from './tim.js';

/** Why an action failed, in words a user can act on; TIM's code for the rest. */
export function errorText(error, {gettext, interpolate}) {
  switch (error?.code) {
    case TIM.ERROR.C2C_INVALID_RECEIVER:
      return gettext('There is no user with that ID.');
    case TIM.ERROR.C2C_IN_PEER_BLACKLIST:
      return gettext('Not delivered: this user has blocked you.');
    case TIM.ERROR.FRIENDSHIP_ACCOUNT_NOT_FOUND:
      return gettext('There is no user with that ID.');
    case TIM.ERROR.BLACKLIST_SELF:
      return gettext('You cannot block yourself.');
    case TIM.ERROR.BLACKLIST_LIMIT:
      return gettext('You can block at most 1,000 users. Unblock someone first.');
    case TIM.ERROR.PROFILE_VALUE_TOO_LONG:
      return gettext('Too long: a nickname or a signature can be at most 500 bytes.');
    case TIM.ERROR.PROFILE_VALUE_INVALID:
      return gettext('This value is not accepted: remove any control characters and check the date.');
    case TIM.ERROR.MESSAGE_TOO_LONG:
      return gettext('This message is too long.');
    case TIM.ERROR.RATE_LIMITED:
      return gettext('You are sending too fast. Wait a moment and send it again.');
    case TIM.ERROR.ORIGIN_REFUSED:
      return gettext('This page may not connect to the chat server.');
    case TIM.ERROR.REQUEST_FAILED:
      return gettext('The server cannot be reached. Check your connection and try again.');
    case TIM.ERROR.NOT_INITIALISED:
    case TIM.ERROR.NOT_LOGGED_IN:
    case TIM.ERROR.SESSION_EXPIRED:
    case TIM.ERROR.KICKED_OUT:
      return gettext('You are not signed in to chat. Reload the page.');
    case TIM.ERROR.GROUP_INVALID_PARAMS:
      return gettext('Check the group: its name must be 1 to 30 bytes long.');
    case TIM.ERROR.NO_PERMISSION:
      return gettext('You are not allowed to do that in this group.');
    case TIM.ERROR.GROUP_NOT_FOUND:
      return gettext('This group does not exist.');
    case TIM.ERROR.SENDER_MUTED:
      return gettext('You are muted in this group.');
    case TIM.ERROR.GROUP_RATE_LIMITED:
      return gettext('This group is busy right now. Send it again in a moment.');
    case TIM.ERROR.GROUP_MEMBER_ACCOUNT_MISSING:
      return gettext('Some of those user IDs do not exist.');
    case TIM.ERROR.GROUP_ID_IN_USE:
      return gettext('That group ID is already taken.');
    case TIM.ERROR.GROUP_REVOKE_TIME_LIMIT:
    case TIM.ERROR.C2C_REVOKE_TIME_LIMIT:
      return gettext('It is too late to recall this message.');
    case TIM.ERROR.MESSAGE_NOT_REVOCABLE:
    case TIM.ERROR.MESSAGE_NOT_FOUND:
      return gettext('This message cannot be recalled.');
    case TIM.ERROR.OWNER_CANNOT_QUIT:
      return gettext('As its owner you cannot leave this group: hand it over or dismiss it first.');
    case TIM.ERROR.GROUP_FULL:
      return gettext('This group is full.');
    case TIM.ERROR.APPLICATION_HANDLED:
      return gettext('This request has already been handled.');
    case TIM.ERROR.FILE_EMPTY:
      return gettext('This file is empty.');
    case TIM.ERROR.IMAGE_BAD_TYPE:
      return gettext('This is not an image that can be sent (JPEG, PNG, GIF, BMP or WebP).');
    case TIM.ERROR.IMAGE_TOO_LARGE:
      return gettext('Images can be at most 28 MB.');
    case TIM.ERROR.AUDIO_TOO_LARGE:
      return gettext('Voice messages can be at most 28 MB.');
    case TIM.ERROR.VIDEO_BAD_TYPE:
      return gettext('Only MP4 and MOV videos can be sent.');
    case TIM.ERROR.VIDEO_TOO_LARGE:
      return gettext('Videos can be at most 100 MB.');
    case TIM.ERROR.FILE_TOO_LARGE:
      return gettext('Files can be at most 100 MB.');
    case TIM.ERROR.FILE_UPLOAD_FAILED:
    case TIM.ERROR.AUDIO_UPLOAD_FAILED:
    case TIM.ERROR.VIDEO_UPLOAD_FAILED:
      return gettext('The upload failed. Try again.');
    case TIM.ERROR.CALLBACK_REFUSED:
      // The site's own back end refused it and says why, in its own words.
      return interpolate(gettext('Refused: %s'), [error.message || error.code]);
    default:
      if (error?.code >= 120001 && error?.code <= 130000) {
        return interpolate(gettext('Refused: %s'), [error.message || error.code]);
      }
      return interpolate(gettext('Something went wrong (error %s).'), [error?.code ?? '?']);
  }
}

/** Why one's own profile was not saved: a picture's limits are an avatar's, not a message's. */
export function profileErrorText(error, i18n) {
  switch (error?.code) {
    case TIM.ERROR.IMAGE_BAD_TYPE:
      return i18n.gettext('This picture cannot be used. Choose a JPEG, PNG, GIF, BMP or WebP picture.');
    case TIM.ERROR.IMAGE_TOO_LARGE:
      return i18n.gettext('This picture is too large: an avatar can be at most 10 MB.');
    default:
      return errorText(error, i18n);
  }
}

/** How a group's messages reach this account (TIM's three remind types). */
export function remindText(type, {gettext}) {
  switch (type) {
    case TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE:
      return gettext('Receive without badge');
    case TIM.TYPES.MSG_REMIND_DISCARD:
      return gettext('Don’t receive');
    default:
      return gettext('Notify me');
  }
}

/** A group's type as its users know it. */
export function groupTypeText(type, {gettext}) {
  switch (type) {
    case TIM.TYPES.GRP_WORK:
      return gettext('Work group');
    case TIM.TYPES.GRP_PUBLIC:
      return gettext('Public group');
    case TIM.TYPES.GRP_MEETING:
      return gettext('Meeting group');
    case TIM.TYPES.GRP_AVCHATROOM:
      return gettext('Live group');
    default:
      return type;
  }
}

/** A member's role in its group. */
export function roleText(role, {gettext}) {
  switch (role) {
    case TIM.TYPES.GRP_MBR_ROLE_OWNER:
      return gettext('Owner');
    case TIM.TYPES.GRP_MBR_ROLE_ADMIN:
      return gettext('Admin');
    default:
      return gettext('Member');
  }
}
