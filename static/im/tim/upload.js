import {TYPES} from './constants.js';
import {ERROR, IMError} from './errors.js';

/**
 * Image, file, voice and video messages: which files TIM takes (its limits and codes,
 * checked before anything is uploaded), the payload shown while the file uploads, and
 * the upload itself (docs/protocol.md, "Media messages"): createUpload, PUT the bytes,
 * finishUpload, for each file of the message, then the message names the uploads.
 *
 * Browser objects (XMLHttpRequest, <video>, canvas) stay in ./browsermedia.js and come
 * in as functions, so the node tests drive this module with stand-ins.
 */

export const MB = 1024 * 1024;

const IMAGE_TYPES = new Map([
  ['image/jpeg', 1],
  ['image/gif', 2],
  ['image/png', 3],
  ['image/bmp', 4],
  ['image/webp', 255],
]);
const VIDEO_TYPES = new Set(['video/mp4', 'video/quicktime']);
const AUDIO_TYPES = new Set([
  'audio/webm',
  'audio/ogg',
  'audio/mp4',
  'audio/x-m4a',
  'audio/aac',
  'audio/mpeg',
  'audio/wav',
  'audio/x-wav',
]);
// A file without a type (some systems give none) is judged by its extension.
const BY_EXTENSION = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'audio/webm',
  ogg: 'audio/ogg',
  m4a: 'audio/x-m4a',
  aac: 'audio/aac',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
};
const MAX_FILE_NAME = 255; // the server's, in characters
const MAX_SOUND_SECONDS = 10_800; // the server's

/**
 * TIM's rules per message type: the upload kind, the largest file, the accepted types
 * (null: any) and the web SDK's codes for no file, a bad type, too large, and a failed
 * upload. Voice has no code of its own for the first two: TIM's "upload failed".
 */
export const RULES = Object.freeze({
  [TYPES.MSG_IMAGE]: {
    kind: 'image',
    maxBytes: 28 * MB,
    types: new Set(IMAGE_TYPES.keys()),
    noFile: ERROR.IMAGE_NOT_SELECTED,
    badType: ERROR.IMAGE_BAD_TYPE,
    tooLarge: ERROR.IMAGE_TOO_LARGE,
    failed: ERROR.FILE_UPLOAD_FAILED,
  },
  [TYPES.MSG_FILE]: {
    kind: 'file',
    maxBytes: 100 * MB,
    types: null,
    noFile: ERROR.FILE_NOT_SELECTED,
    badType: ERROR.FILE_UPLOAD_FAILED,
    tooLarge: ERROR.FILE_TOO_LARGE,
    failed: ERROR.FILE_UPLOAD_FAILED,
  },
  [TYPES.MSG_VIDEO]: {
    kind: 'video',
    maxBytes: 100 * MB,
    types: VIDEO_TYPES,
    noFile: ERROR.VIDEO_UPLOAD_FAILED,
    badType: ERROR.VIDEO_BAD_TYPE,
    tooLarge: ERROR.VIDEO_TOO_LARGE,
    failed: ERROR.VIDEO_UPLOAD_FAILED,
  },
  [TYPES.MSG_AUDIO]: {
    kind: 'audio',
    maxBytes: 28 * MB,
    types: AUDIO_TYPES,
    noFile: ERROR.AUDIO_UPLOAD_FAILED,
    badType: ERROR.AUDIO_UPLOAD_FAILED,
    tooLarge: ERROR.AUDIO_TOO_LARGE,
    failed: ERROR.AUDIO_UPLOAD_FAILED,
  },
});

/**
 * An avatar for updateMyProfile (Hutong's extension: TIM's profile holds only a URL):
 * a picture, at most 10 MB (the server's own limit; it keeps a 256 px square), with the
 * image codes.
 */
export const AVATAR_RULE = Object.freeze({
  kind: 'avatar',
  maxBytes: 10 * MB,
  types: new Set(IMAGE_TYPES.keys()),
  noFile: ERROR.IMAGE_NOT_SELECTED,
  badType: ERROR.IMAGE_BAD_TYPE,
  tooLarge: ERROR.IMAGE_TOO_LARGE,
  failed: ERROR.FILE_UPLOAD_FAILED,
});

const isBlob = (value) => typeof Blob !== 'undefined' && value instanceof Blob;

/**
 * The file in TIM's `payload.file`: an `<input type=file>` (its first file), a File
 * or Blob, or a recorder's result `{file|blob, duration}` (duration in ms).
 * @returns {{file: Blob, duration: number}|null}
 */
export function pickFile(value) {
  if (isBlob(value)) return {file: value, duration: 0};
  if (value === null || typeof value !== 'object') return null;
  const chosen = value.file ?? value.blob;
  if (isBlob(chosen)) {
    const duration = Number.isFinite(value.duration) && value.duration > 0 ? value.duration : 0;
    return {file: chosen, duration};
  }
  const first = value.files?.[0];
  return isBlob(first) ? {file: first, duration: 0} : null;
}

/** "audio/webm;codecs=opus" → "audio/webm": the part the server checks. */
export function baseType(contentType) {
  return contentType.split(';', 1)[0].trim().toLowerCase();
}

function extensionOf(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The file's type as the browser says, else by its extension, else any bytes. */
export function contentTypeOf(file) {
  if (file.type) return file.type.toLowerCase();
  return BY_EXTENSION[extensionOf(file.name ?? '')] ?? 'application/octet-stream';
}

/**
 * A name the server takes: what the user sees, so kept as it is but for separators
 * and invisible characters (which it refuses), and at most 255 characters, extension
 * kept. A Blob (a pasted screenshot, a recording) has none: "image.png", "audio.webm".
 * The control characters are those the server's isprintable() refuses.
 */
export function fileNameOf(file, kind, contentType) {
  let name = typeof file.name === 'string' ? file.name : '';
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[/\\]|[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu, '_').trim();
  if (!name || name === '.' || name === '..') {
    const subtype = baseType(contentType).split('/')[1] ?? '';
    const ext = Object.keys(BY_EXTENSION).find((e) => BY_EXTENSION[e] === baseType(contentType));
    name = `${kind}.${ext ?? (/^[a-z0-9]{1,8}$/.test(subtype) ? subtype : 'bin')}`;
  }
  const chars = Array.from(name);
  if (chars.length <= MAX_FILE_NAME) return name;
  const ext = extensionOf(name);
  const tail = ext && ext.length < 16 ? `.${ext}` : '';
  return chars.slice(0, MAX_FILE_NAME - tail.length).join('') + tail;
}

/**
 * The file a create*Message call names, checked by TIM's rules before anything goes
 * out; throws IMError with the web SDK's code.
 * @returns {{file: Blob, duration: number, kind: string, fileName: string,
 *   fileSize: number, contentType: string}}
 */
export function checkedFile(type, payload) {
  return checkFile(RULES[type], payload?.file, 'payload.file');
}

/**
 * The file in `value` (what pickFile takes) checked by `rule` (one of RULES, or
 * AVATAR_RULE); throws IMError with the rule's codes, naming the argument `name`.
 */
export function checkFile(rule, value, name) {
  const picked = pickFile(value);
  if (!picked) {
    throw new IMError(rule.noFile, `${name} must be an <input type=file> with a file, or a File`);
  }
  const {file, duration} = picked;
  if (!file.size) throw new IMError(ERROR.FILE_EMPTY, 'the file is empty');
  const contentType = contentTypeOf(file);
  if (rule.types && !rule.types.has(baseType(contentType))) {
    throw new IMError(rule.badType, `a ${rule.kind} cannot be of type ${contentType || 'unknown'}`);
  }
  if (file.size > rule.maxBytes) {
    throw new IMError(rule.tooLarge, `a ${rule.kind} may be at most ${rule.maxBytes / MB} MB`);
  }
  return {
    file,
    duration,
    kind: rule.kind,
    fileName: fileNameOf(file, rule.kind, contentType),
    fileSize: file.size,
    contentType,
  };
}

/** Where to PUT: a path (the file system default's) is on the server the SDK talks to. */
export function uploadURL(url, serverURL) {
  if (/^https?:\/\//i.test(url)) return url;
  return new URL(url, serverURL.replace(/^ws/i, 'http')).href;
}

/**
 * The progress of a message's files as one number from 0 to 1, weighted by size (a
 * video and its much smaller poster), never going back (a retried part starts again
 * from 0 but the user saw it reach further) and reported only when it moved.
 */
export class Progress {
  #sizes;
  #loaded;
  #shown = -1;
  #report;

  constructor(sizes, report) {
    this.#sizes = sizes;
    this.#loaded = sizes.map(() => 0);
    this.#report = report;
  }

  get value() {
    const total = this.#sizes.reduce((a, b) => a + b, 0);
    const loaded = this.#loaded.reduce((a, b, i) => a + Math.min(b, this.#sizes[i]), 0);
    return total > 0 ? loaded / total : 0;
  }

  /** Part `index` has `loaded` bytes up. */
  update(index, loaded) {
    this.#loaded[index] = Math.max(0, loaded);
    this.#tell(this.value);
  }

  /** Say where it stands (0 for a fresh upload). */
  start() {
    this.#tell(this.value);
  }

  /** Every part is up: 1, even if the last progress event never came. */
  done() {
    this.#tell(1);
  }

  #tell(value) {
    const rounded = Math.floor(Math.min(1, value) * 100) / 100;
    if (rounded <= this.#shown) return;
    this.#shown = rounded;
    try {
      this.#report?.(rounded);
    } catch {
      // A page's broken callback must not fail the upload.
    }
  }
}

function imageVersions(url, size, width = 0, height = 0) {
  // TIM's order and numbering: original, large, thumbnail.
  return [
    [0, 1],
    [2, 2],
    [1, 3],
  ].map(([type, sizeType]) => ({type, sizeType, size, width, height, url, imageUrl: url}));
}

/**
 * The payload a message shows before the server's replaces it: TIM's fields, with a
 * local (object) URL where the links will be, and no uuid yet.
 */
export function previewPayload(type, checked, url) {
  const {fileName, fileSize, contentType, duration} = checked;
  switch (type) {
    case TYPES.MSG_IMAGE:
      return {
        uuid: '',
        imageFormat: IMAGE_TYPES.get(baseType(contentType)) ?? 255,
        imageInfoArray: imageVersions(url, fileSize),
      };
    case TYPES.MSG_FILE:
      return {uuid: '', fileName, fileSize, fileUrl: url, downloadFlag: 2};
    case TYPES.MSG_AUDIO:
      return {
        uuid: '',
        second: soundSeconds(duration),
        size: fileSize,
        url,
        remoteAudioUrl: url,
        downloadFlag: 2,
      };
    default:
      return {
        videoUUID: '',
        videoFormat: extensionOf(fileName) || baseType(contentType).split('/')[1] || '',
        videoSecond: 0,
        videoSize: fileSize,
        videoUrl: url,
        remoteVideoUrl: url,
        videoDownloadFlag: 2,
        thumbUUID: '',
        thumbFormat: '',
        thumbWidth: 0,
        thumbHeight: 0,
        thumbSize: 0,
        thumbUrl: '',
        thumbDownloadFlag: 2,
        snapshotUrl: '',
        snapshotWidth: 0,
        snapshotHeight: 0,
        snapshotSize: 0,
      };
  }
}

/** A recording's length (ms) as TIM's `second`, within what the server takes. */
export function soundSeconds(durationMs) {
  return Math.min(MAX_SOUND_SECONDS, Math.max(0, Math.round((durationMs || 0) / 1000)));
}

/** What sendMessage carries for a media message: the finished uploads' uuids. */
export function wirePayload(type, finished, {duration = 0, videoSeconds = 0} = {}) {
  switch (type) {
    case TYPES.MSG_AUDIO:
      return {uuid: finished.audio.uuid, second: soundSeconds(duration)};
    case TYPES.MSG_VIDEO:
      return {
        videoUUID: finished.video.uuid,
        thumbUUID: finished.snapshot.uuid,
        videoSecond: Math.max(0, Math.round(videoSeconds || 0)),
      };
    default:
      return {uuid: finished[RULES[type].kind].uuid};
  }
}

/**
 * What a PUT's answer means: 2xx is up; the server's 400 (a JSON error) keeps its code; any
 * other refusal (an expired link's 403, a store's XML error) is the kind's "upload
 * failed".
 */
export function putOutcome(status, body, failedCode) {
  if (status >= 200 && status < 300) return null;
  try {
    const answer = status === 400 ? JSON.parse(body) : null;
    if (Number.isInteger(answer?.code)) {
      return new IMError(answer.code, answer.message ?? `upload refused (HTTP ${status})`);
    }
  } catch {
    // Not JSON: an object store's own error document.
  }
  const text =
    status === 403 ? 'the upload link is invalid or expired' : `upload refused (HTTP ${status})`;
  return new IMError(failedCode, status ? text : 'the upload could not reach the server');
}

/**
 * The uploads of the messages this SDK instance made: one job per media message,
 * kept until the message is sent, so a resend after a failure uploads only what never
 * finished (a finished upload is carried by this message alone, which the server
 * recognises again by its random and clientTime).
 */
export class MediaUploads {
  #jobs = new WeakMap(); // Message → job
  #request;
  #put;
  #snapshot;
  #serverURL;

  /**
   * @param {{request: function(string, Object): Promise<Object>,
   *   put: function({method, url, headers, body, onProgress, signal}): Promise<{status, body}>,
   *   snapshot: function(Blob): Promise<{blob: Blob, width, height, duration}>,
   *   serverURL: string}} io `request` asks the server (createUpload, finishUpload);
   *   `put` sends the bytes; `snapshot` makes a video's poster
   */
  constructor({request, put, snapshot, serverURL}) {
    this.#request = request;
    this.#put = put;
    this.#snapshot = snapshot;
    this.#serverURL = serverURL;
  }

  /** Remember what `message` (just made, with its preview payload) has to upload. */
  attach(message, type, checked, onProgress) {
    this.#jobs.set(message, {
      type,
      checked,
      onProgress,
      parts: null, // [{kind, file, fileName, fileSize, contentType, finished}] once known
      videoSeconds: 0,
      controller: null, // while uploading: its AbortController
      wire: null, // once every part finished
    });
  }

  /** Whether sending `message` has to upload first. */
  pending(message) {
    const job = this.#jobs.get(message);
    return Boolean(job && !job.wire);
  }

  /** The payload sendMessage carries for `message`, if it is a media message. */
  wire(message) {
    return this.#jobs.get(message)?.wire ?? undefined;
  }

  /** The message went out: the server's payload is the one to show now. */
  sent(message) {
    const job = this.#jobs.get(message);
    if (!job) return;
    this.#jobs.delete(message);
    job.previewURLs?.forEach((url) => URL.revokeObjectURL(url));
  }

  /** Keep a preview's object URL to free once the message is sent. */
  keepURL(message, url) {
    const job = this.#jobs.get(message);
    if (job) (job.previewURLs ??= []).push(url);
  }

  /**
   * Cancel the upload in flight: the PUT is aborted and `upload` rejects. False if
   * `message` is not uploading (never was, or its files are all up already).
   */
  cancel(message) {
    const job = this.#jobs.get(message);
    if (!job?.controller || job.wire) return false;
    job.controller.abort();
    return true;
  }

  /**
   * Upload what of `message` is not up yet; resolves once its wire payload is known.
   * Rejects with an IMError: the server's code, the kind's "upload failed", or that
   * same code with `data.cancelled` for a cancel.
   */
  async upload(message) {
    const job = this.#jobs.get(message);
    const rule = RULES[job.type];
    const controller = new AbortController();
    job.controller = controller;
    const stopIfCancelled = () => {
      if (controller.signal.aborted) {
        throw new IMError(rule.failed, 'the upload was cancelled', {cancelled: true});
      }
    };
    try {
      if (!job.parts) await this.#planParts(message, job);
      stopIfCancelled();
      const progress = new Progress(
        job.parts.map((p) => p.fileSize),
        job.onProgress,
      );
      job.parts.forEach((part, i) => part.finished && progress.update(i, part.fileSize));
      progress.start();
      for (const [i, part] of job.parts.entries()) {
        if (part.finished) continue;
        part.finished = await this.#uploadPart(part, rule, controller.signal, (loaded) =>
          progress.update(i, loaded),
        );
        stopIfCancelled();
      }
      const finished = Object.fromEntries(job.parts.map((p) => [p.kind, p.finished]));
      job.wire = wirePayload(job.type, finished, {
        duration: job.checked.duration,
        videoSeconds: job.videoSeconds,
      });
      progress.done();
    } catch (error) {
      stopIfCancelled();
      throw error instanceof IMError ? error : new IMError(rule.failed, error.message);
    } finally {
      job.controller = null;
    }
  }

  /**
   * Upload one file that no message carries (an avatar): createUpload, PUT, finishUpload.
   * @param {Object} checked checkFile's result
   * @param {Object} rule the one it was checked by (its `failed` code)
   * @param {function(number): void} [onProgress] 0..1
   * @returns {Promise<Object>} the finished upload (its `uuid`); rejects with an IMError
   */
  async uploadFile(checked, rule, onProgress) {
    const progress = new Progress([checked.fileSize], onProgress);
    progress.start();
    try {
      const signal = new AbortController().signal; // nothing cancels an avatar
      const finished = await this.#uploadPart(checked, rule, signal, (loaded) =>
        progress.update(0, loaded),
      );
      progress.done();
      return finished;
    } catch (error) {
      throw error instanceof IMError ? error : new IMError(rule.failed, error.message);
    }
  }

  /** The files to put: the one chosen, and for a video first its poster. */
  async #planParts(message, job) {
    const {checked} = job;
    const main = {
      kind: checked.kind,
      file: checked.file,
      fileName: checked.fileName,
      fileSize: checked.fileSize,
      contentType: checked.contentType,
      finished: null,
    };
    if (job.type !== TYPES.MSG_VIDEO) {
      job.parts = [main];
      return;
    }
    const shot = await this.#snapshot(checked.file);
    job.videoSeconds = shot.duration;
    const poster = {
      kind: 'snapshot',
      file: shot.blob,
      fileName: 'snapshot.jpg',
      fileSize: shot.blob.size,
      contentType: shot.blob.type || 'image/jpeg',
      finished: null,
    };
    job.parts = [poster, main];
    // The poster shows at once, before the server's copy of it exists.
    const url = URL.createObjectURL(shot.blob);
    this.keepURL(message, url);
    Object.assign(message.payload, {
      videoSecond: Math.round(shot.duration || 0),
      thumbUrl: url,
      snapshotUrl: url,
      thumbWidth: shot.width,
      thumbHeight: shot.height,
      snapshotWidth: shot.width,
      snapshotHeight: shot.height,
      thumbSize: shot.blob.size,
      snapshotSize: shot.blob.size,
    });
  }

  async #uploadPart(part, rule, signal, onProgress) {
    const {kind, fileName, fileSize, contentType} = part;
    const made = await this.#request('createUpload', {kind, fileName, fileSize, contentType});
    const target = made.upload ?? {};
    let answer;
    try {
      answer = await this.#put({
        method: target.method ?? 'PUT',
        url: uploadURL(target.url ?? '', this.#serverURL),
        headers: target.headers ?? {},
        body: part.file,
        onProgress,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new IMError(rule.failed, `the upload could not reach the server: ${error.message}`);
    }
    const refused = putOutcome(answer.status, answer.body ?? '', rule.failed);
    if (refused) throw refused;
    if (signal.aborted) throw new Error('cancelled');
    return this.#request('finishUpload', {uuid: made.uuid});
  }
}
