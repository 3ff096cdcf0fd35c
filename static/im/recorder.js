/**
 * A voice recording for the chat page, with MediaRecorder: `start()`, then `stop()`
 * for the recording or `cancel()` for nothing. TIM's web SDK cannot record; what
 * `stop()` gives is what Hutong's `createAudioMessage` takes as `payload.file`.
 */

// What the server takes, in the order a browser is asked: Chromium and Firefox make
// webm/opus or ogg/opus, Safari mp4.
const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];

export class VoiceRecorder {
  #stream = null;
  #media = null;
  #chunks = [];
  #startedAt = 0;

  static get supported() {
    return typeof MediaRecorder !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
  }

  get recording() {
    return this.#media !== null;
  }

  /** Milliseconds since the recording started. */
  get elapsed() {
    return this.#media ? Date.now() - this.#startedAt : 0;
  }

  /** Ask for the microphone and record; rejects if it is refused or missing. */
  async start() {
    this.#stream = await navigator.mediaDevices.getUserMedia({audio: true});
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    this.#media = new MediaRecorder(this.#stream, mimeType ? {mimeType} : undefined);
    this.#chunks = [];
    this.#media.ondataavailable = (event) => {
      if (event.data.size) this.#chunks.push(event.data);
    };
    this.#media.start();
    this.#startedAt = Date.now();
  }

  /** The recording: `{file: Blob, duration: ms}`. */
  stop() {
    const media = this.#media;
    const duration = this.elapsed;
    return new Promise((resolve) => {
      media.onstop = () => {
        const file = new Blob(this.#chunks, {type: media.mimeType || 'audio/webm'});
        this.#release();
        resolve({file, duration});
      };
      media.stop();
    });
  }

  /** Stop and keep nothing. */
  cancel() {
    if (!this.#media) return;
    this.#media.onstop = null;
    this.#media.stop();
    this.#release();
  }

  #release() {
    this.#stream?.getTracks().forEach((track) => track.stop());
    this.#stream = null;
    this.#media = null;
    this.#chunks = [];
  }
}
