// Runs inside the isolate, on demand (on the first use of a web stream global or of `stream/web`); bundled
// with its library (../bundle.ts). WHATWG streams from web-streams-polyfill (the spec's reference
// implementation), plus TextEncoderStream/TextDecoderStream on top of them. CompressionStream and
// DecompressionStream need zlib and are not here.
/* global internal */
const streams = require('web-streams-polyfill');

const { TransformStream } = streams;

class TextEncoderStream extends TransformStream {
  constructor() {
    const encoder = new TextEncoder();
    super({
      transform(chunk, controller) {
        const bytes = encoder.encode(String(chunk));
        if (bytes.byteLength > 0) controller.enqueue(bytes);
      },
    });
  }

  get encoding() {
    return 'utf-8';
  }
}

class TextDecoderStream extends TransformStream {
  #decoder;

  constructor(encoding = 'utf-8', options = {}) {
    const decoder = new TextDecoder(encoding, options);
    super({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text !== '') controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== '') controller.enqueue(text);
      },
    });
    this.#decoder = decoder;
  }

  get encoding() {
    return this.#decoder.encoding;
  }

  get fatal() {
    return this.#decoder.fatal;
  }

  get ignoreBOM() {
    return this.#decoder.ignoreBOM;
  }
}

const web = { ...streams, TextEncoderStream, TextDecoderStream };
for (const [name, value] of Object.entries(web)) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}
internal.modules['stream/web'] = web;
