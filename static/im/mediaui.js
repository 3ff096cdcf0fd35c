/**
 * How the chat page shows image, file, voice and video messages, and an upload in
 * progress. Names and every other text from a message reach the page as text nodes
 * only. The pure helpers (sizes, lengths, icons) touch no DOM, so the node tests
 * import this module as it is; the rest builds elements when called.
 *
 * Texts take Django's JavaScript catalog functions as `i18n`, as groupui.js does.
 */
import TIM from './tim.js';

const {TYPES} = TIM;

/** "812 B", "4.2 KB", "20.0 MB": a size as people read it (1 KB = 1024 bytes). */
export function humanSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = Math.max(0, Number(bytes) || 0);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "0:02", "12:40", "1:02:03": a recording's or a video's length. */
export function clockText(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const ICONS = [
  ['pdf', '📕', ['pdf']],
  ['document', '📝', ['doc', 'docx', 'odt', 'rtf', 'txt', 'md', 'pages']],
  ['spreadsheet', '📊', ['xls', 'xlsx', 'ods', 'csv', 'numbers']],
  ['presentation', '📽', ['ppt', 'pptx', 'odp', 'key']],
  ['archive', '📦', ['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz']],
  ['image', '🖼', ['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp', 'svg', 'heic', 'tiff']],
  ['audio', '🎵', ['mp3', 'wav', 'ogg', 'm4a', 'aac', 'flac', 'webm']],
  ['video', '🎬', ['mp4', 'mov', 'avi', 'mkv', 'wmv']],
];

/** The kind of file a name says, for its card's icon: {kind, glyph}. */
export function fileIcon(fileName) {
  const dot = String(fileName).lastIndexOf('.');
  const ext = dot > 0 ? String(fileName).slice(dot + 1).toLowerCase() : '';
  const found = ICONS.find(([, , exts]) => exts.includes(ext));
  return found ? {kind: found[0], glyph: found[1]} : {kind: 'file', glyph: '📄'};
}

/** The images of TIM's imageInfoArray by type: 0 original, 2 large, 1 thumbnail. */
export function imageVersion(payload, type) {
  const versions = Array.isArray(payload?.imageInfoArray) ? payload.imageInfoArray : [];
  return versions.find((v) => v.type === type) ?? versions[0] ?? null;
}

/** Only the links a message may carry: the server's http(s) and this page's blob: previews. */
function safeURL(url) {
  return typeof url === 'string' && /^(https?:|blob:|\/)/i.test(url) ? url : '';
}

function element(tag, className, testid) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  return node;
}

/**
 * Fill a bubble with a media message; false if `message` is not one.
 * @param {{openImage: function(Object): void}} actions
 */
export function fillMediaBubble(bubble, message, i18n, {openImage}) {
  const {gettext} = i18n;
  const {payload} = message;
  switch (message.type) {
    case TYPES.MSG_IMAGE: {
      bubble.classList.add('media', 'image');
      const thumb = imageVersion(payload, 1);
      const button = element('button', 'image-open', 'image-open');
      button.type = 'button';
      button.title = gettext('Show full size');
      button.setAttribute('aria-label', gettext('Show full size'));
      const img = element('img', 'thumbnail', 'image-thumbnail');
      img.alt = gettext('Image');
      img.src = safeURL(thumb?.url);
      if (thumb?.width && thumb?.height) {
        img.width = thumb.width;
        img.height = thumb.height;
      }
      button.append(img);
      button.addEventListener('click', () => openImage(payload));
      bubble.append(button);
      return true;
    }
    case TYPES.MSG_FILE: {
      bubble.classList.add('media', 'file');
      const {kind, glyph} = fileIcon(payload.fileName ?? '');
      const icon = element('span', 'file-icon', 'file-icon');
      icon.dataset.kind = kind;
      icon.setAttribute('aria-hidden', 'true');
      icon.textContent = glyph;
      const name = element('span', 'file-name', 'file-name');
      name.textContent = payload.fileName ?? '';
      const size = element('span', 'file-size', 'file-size');
      size.textContent = humanSize(payload.fileSize);
      const text = element('span', 'file-text');
      text.append(name, size);
      bubble.append(icon, text);
      const url = safeURL(payload.fileUrl);
      if (message.status === 'success' && url) {
        const link = element('a', 'file-download', 'file-download');
        link.href = url;
        link.download = payload.fileName ?? '';
        link.rel = 'noopener';
        link.textContent = gettext('Download');
        bubble.append(link);
      }
      return true;
    }
    case TYPES.MSG_AUDIO: {
      bubble.classList.add('media', 'audio');
      const audio = element('audio', 'voice', 'voice-player');
      audio.controls = true;
      audio.preload = 'metadata';
      audio.src = safeURL(payload.url);
      const length = element('span', 'voice-length', 'voice-length');
      length.textContent = clockText(payload.second);
      bubble.append(audio, length);
      return true;
    }
    case TYPES.MSG_VIDEO: {
      bubble.classList.add('media', 'video');
      const video = element('video', 'video-player', 'video-player');
      video.controls = true;
      video.preload = 'metadata';
      video.playsInline = true;
      const poster = safeURL(payload.snapshotUrl || payload.thumbUrl);
      if (poster) video.poster = poster;
      video.src = safeURL(payload.videoUrl);
      if (payload.snapshotWidth && payload.snapshotHeight) {
        video.width = payload.snapshotWidth;
        video.height = payload.snapshotHeight;
      }
      const length = element('span', 'video-length', 'video-length');
      length.textContent = clockText(payload.videoSecond);
      bubble.append(video, length);
      return true;
    }
    default:
      return false;
  }
}

/**
 * An upload in progress, shown under its message: a bar, the percentage and a cancel
 * control. `percent` is TIM's 0..1.
 */
export function uploadStrip(percent, onCancel, {gettext}) {
  const strip = element('div', 'upload', 'upload');
  const bar = element('progress', 'upload-bar', 'upload-progress');
  bar.max = 1;
  bar.value = percent;
  bar.setAttribute('aria-label', gettext('Upload progress'));
  const label = element('span', 'upload-percent', 'upload-percent');
  label.textContent = `${Math.round(percent * 100)}%`;
  const cancel = element('button', 'link', 'upload-cancel');
  cancel.type = 'button';
  cancel.textContent = gettext('Cancel');
  cancel.title = gettext('Cancel the upload');
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    onCancel();
  });
  strip.append(bar, label, cancel);
  return strip;
}

/** Move an upload strip already on the page to `percent`. */
export function setUploadProgress(strip, percent) {
  strip.querySelector('progress').value = percent;
  strip.querySelector('.upload-percent').textContent = `${Math.round(percent * 100)}%`;
}
