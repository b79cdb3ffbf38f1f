// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). The `stream` built-in is
// readable-stream 4, which is Node's own lib/stream code published for other engines: Readable, Writable,
// Duplex, Transform, PassThrough, pipeline, finished, compose, the promise API and the operators.
/* global internal */
const Stream = require('readable-stream/lib/stream.js');

internal.modules.stream = Stream;
internal.modules['stream/promises'] = Stream.promises;
// Node still exports the pre-0.10 module names; old libraries (through2, duplexify …) require them.
internal.modules._stream_readable = Stream.Readable;
internal.modules._stream_writable = Stream.Writable;
internal.modules._stream_duplex = Stream.Duplex;
internal.modules._stream_transform = Stream.Transform;
internal.modules._stream_passthrough = Stream.PassThrough;

// stream/consumers: a whole stream (Node stream, web stream or async iterable) read into one value.
async function chunksOf(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return chunks;
}
const consumers = {
  async arrayBuffer(stream) {
    const bytes = Buffer.concat(await chunksOf(stream));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  },
  buffer: async (stream) => Buffer.concat(await chunksOf(stream)),
  async text(stream) {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  },
  json: async (stream) => JSON.parse(await consumers.text(stream)),
};
internal.modules['stream/consumers'] = consumers;
