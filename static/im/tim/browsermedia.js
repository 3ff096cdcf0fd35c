/**
 * The browser's side of an upload, handed to upload.js's MediaUploads: the PUT with
 * XMLHttpRequest (fetch reports no upload progress) and a video's poster drawn from
 * its first frame. Browser objects are touched only when these are called.
 */

const SNAPSHOT_TIMEOUT_MS = 10000;
const SNAPSHOT_MAX_SIDE = 1280; // a poster, not a copy of a 4K frame
const PLACEHOLDER = {width: 320, height: 180};

/**
 * PUT `body` to `url`, reporting bytes sent. Resolves with the answer's status and
 * text whatever the status; rejects on a network failure, or when `signal` aborts.
 * @returns {Promise<{status: number, body: string}>}
 */
export function putFile({method, url, headers, body, onProgress, signal}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('cancelled'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => resolve({status: xhr.status, body: xhr.responseText ?? ''});
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new Error('cancelled'));
    signal?.addEventListener('abort', () => xhr.abort(), {once: true});
    xhr.send(body);
  });
}

/**
 * A JPEG of the video's first frame, its size and the video's length in seconds. A
 * video this browser cannot decode (a codec it lacks) still gets a plain poster and
 * length 0 rather than failing: the server checks what the file is, not the browser.
 * @param {Blob} file
 * @returns {Promise<{blob: Blob, width: number, height: number, duration: number}>}
 */
export async function videoSnapshot(file) {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), SNAPSHOT_TIMEOUT_MS);
      video.onloadeddata = () => {
        clearTimeout(timer);
        resolve();
      };
      video.onerror = () => {
        clearTimeout(timer);
        reject(new Error('cannot decode'));
      };
      video.src = url;
    });
    const scale = Math.min(1, SNAPSHOT_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.max(1, Math.round(video.videoWidth * scale));
    const height = Math.max(1, Math.round(video.videoHeight * scale));
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
    return {blob: await drawn(width, height, (c) => c.drawImage(video, 0, 0, width, height)), width, height, duration};
  } catch {
    const {width, height} = PLACEHOLDER;
    const paint = (c) => {
      c.fillStyle = '#333';
      c.fillRect(0, 0, width, height);
    };
    return {blob: await drawn(width, height, paint), width, height, duration: 0};
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

function drawn(width, height, paint) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  paint(canvas.getContext('2d'));
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no image'))), 'image/jpeg', 0.85),
  );
}
