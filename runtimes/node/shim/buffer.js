// Appended to feross's `buffer` (see shim.ts bufferBundle). Node 16+ also has the 'base64url' encoding,
// which the package lacks: its base64 decoder already accepts '-' and '_' and missing padding, so reading
// is base64's, and writing is base64 with the URL alphabet and no padding.
/* global internal */
{
  const { Buffer } = internal.buffer;
  const isBase64url = (encoding) => typeof encoding === 'string' && encoding.toLowerCase() === 'base64url';
  const toUrl = (text) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const { from, byteLength, isEncoding } = Buffer;
  const { toString, write } = Buffer.prototype;
  Buffer.from = function (value, encodingOrOffset, length) {
    return Reflect.apply(from, this, [value, isBase64url(encodingOrOffset) ? 'base64' : encodingOrOffset, length]);
  };
  Buffer.byteLength = (value, encoding) => byteLength(value, isBase64url(encoding) ? 'base64' : encoding);
  Buffer.isEncoding = (encoding) => isBase64url(encoding) || isEncoding(encoding);
  Buffer.prototype.toString = function (encoding, start, end) {
    return isBase64url(encoding) ? toUrl(Reflect.apply(toString, this, ['base64', start, end])) : Reflect.apply(toString, this, arguments);
  };
  Buffer.prototype.write = function (string, ...rest) {
    return Reflect.apply(write, this, [string, ...rest.map((arg) => (isBase64url(arg) ? 'base64' : arg))]);
  };
}
// What Node 18/20's `buffer` module has besides the package's exports.
{
  const exports = internal.buffer;
  const kStringMaxLength = 536870888;
  exports.kStringMaxLength = kStringMaxLength;
  exports.constants = { MAX_LENGTH: exports.kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };
  exports.atob = (data) => globalThis.atob(data);
  exports.btoa = (data) => globalThis.btoa(data);
  const view = (input) => (ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input));
  exports.isUtf8 = (input) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(view(input));
      return true;
    } catch {
      return false;
    }
  };
  exports.isAscii = (input) => view(input).every((byte) => byte < 0x80);
}
