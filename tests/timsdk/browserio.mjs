// The browser objects Tencent's upload path uses, which Node lacks, over Node's fetch:
// XMLHttpRequest (tim-upload-plugin's PUT) and Image (the SDK reads an uploaded image's
// width and height by loading its link); and HTMLInputElement, which the SDK's checks
// of createImageMessage name (a page passes an <input type=file> or, here, a File). As a browser does, a Blob body's type
// is the request's Content-Type; Image decodes only PNG's header (what the tests send)
// and fails on anything else, as a browser fails on a file that is not an image.

class Upload {
  onprogress = null;
}

export class XMLHttpRequest {
  upload = new Upload();
  status = 0;
  statusText = '';
  responseText = '';
  responseType = 'text';
  #method = 'GET';
  #url = '';
  #headers = {};
  #answerHeaders = new Headers();

  open(method, url) {
    this.#method = method;
    this.#url = url;
  }

  setRequestHeader(name, value) {
    this.#headers[name] = value;
  }

  getAllResponseHeaders() {
    return [...this.#answerHeaders].map(([k, v]) => `${k}: ${v}\r\n`).join('');
  }

  send(body) {
    const size = body && body.size !== undefined ? body.size : 0;
    fetch(this.#url, { method: this.#method, headers: this.#headers, body })
      .then(async (answer) => {
        this.status = answer.status;
        this.statusText = answer.statusText;
        this.#answerHeaders = answer.headers;
        this.responseText = await answer.text();
        this.upload.onprogress?.({ loaded: size, total: size });
        this.onload?.();
      })
      .catch((error) => this.onerror?.(error));
  }
}

const PNG = [0x89, 0x50, 0x4e, 0x47];

export class Image {
  onload = null;
  onerror = null;
  width = 0;
  height = 0;

  set src(url) {
    fetch(url)
      .then(async (answer) => {
        const bytes = new Uint8Array(await answer.arrayBuffer());
        if (!answer.ok || !PNG.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
        const view = new DataView(bytes.buffer);
        this.width = view.getUint32(16);
        this.height = view.getUint32(20);
        this.onload?.call(this);
      })
      .catch(() => this.onerror?.call(this));
  }
}

globalThis.XMLHttpRequest = XMLHttpRequest;
globalThis.HTMLInputElement ??= class HTMLInputElement {};
globalThis.Image = Image;
