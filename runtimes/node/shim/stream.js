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
