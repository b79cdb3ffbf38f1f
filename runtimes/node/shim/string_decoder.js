// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). `string_decoder` is the
// npm package published from Node core's lib/string_decoder.js.
/* global internal */
const { StringDecoder: Decoder } = require('string_decoder/');

// Node 20 throws a TypeError with a code for an unknown encoding (the package a plain Error). A function,
// not a class, as Node's is: libraries inherit from it ES5-style (iconv-lite: `StringDecoder.call(this, enc)`).
function StringDecoder(encoding) {
  if (encoding !== undefined && encoding !== null && !Buffer.isEncoding(encoding)) {
    const error = new TypeError(`Unknown encoding: ${encoding}`);
    error.code = 'ERR_UNKNOWN_ENCODING';
    throw error;
  }
  Decoder.call(this, encoding);
}
StringDecoder.prototype = Decoder.prototype;

internal.modules.string_decoder = { StringDecoder };
