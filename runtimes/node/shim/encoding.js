// Runs inside the isolate. WHATWG TextEncoder/TextDecoder for UTF-8 (plus latin1 and utf-16le decoding),
// atob/btoa. Plain JS: the isolate has no ICU converters exposed.
/* global internal */
const REPLACEMENT = 0xfffd;
const CHUNK = 0x2000;

function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// Writes as much of `s` as fits; returns [charsRead, bytesWritten] like encodeInto.
function utf8Write(s, out) {
  let j = 0;
  let i = 0;
  for (; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (j >= out.length) break;
      out[j++] = c;
      continue;
    }
    if (c < 0x800) {
      if (j + 2 > out.length) break;
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        if (j + 4 > out.length) break;
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[j++] = 0xf0 | (c >> 18);
        out[j++] = 0x80 | ((c >> 12) & 0x3f);
        out[j++] = 0x80 | ((c >> 6) & 0x3f);
        out[j++] = 0x80 | (c & 0x3f);
        i++;
        continue;
      }
      c = REPLACEMENT;
    }
    if (j + 3 > out.length) break;
    out[j++] = 0xe0 | (c >> 12);
    out[j++] = 0x80 | ((c >> 6) & 0x3f);
    out[j++] = 0x80 | (c & 0x3f);
  }
  return [i, j];
}

function utf8Encode(s) {
  const out = new Uint8Array(utf8Length(s));
  utf8Write(s, out);
  return out;
}

// Decodes bytes[start, end); returns [text, index of an incomplete trailing sequence or end].
function utf8Decode(bytes, start, end, fatal, stream) {
  const units = [];
  let text = '';
  let i = start;
  while (i < end) {
    const b = bytes[i];
    let cp = b;
    let size = 1;
    if (b >= 0x80) {
      const need = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xc2 && b <= 0xdf ? 1 : 0;
      if (stream && need > 0 && i + need >= end && validPrefix(bytes, i, end)) break;
      let value = b & (0x3f >> need);
      let k = 1;
      for (; k <= need && i + k < end; k++) {
        const c = bytes[i + k];
        const lower = k === 1 ? (b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80) : 0x80;
        const upper = k === 1 ? (b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf) : 0xbf;
        if (c < lower || c > upper) break;
        value = (value << 6) | (c & 0x3f);
      }
      if (need > 0 && k > need) {
        cp = value;
        size = need + 1;
      } else {
        if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
        cp = REPLACEMENT;
        size = Math.max(1, k);
      }
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else units.push(cp);
    if (units.length >= CHUNK) {
      text += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
    i += size;
  }
  return [text + String.fromCharCode.apply(null, units), i];
}

function validPrefix(bytes, i, end) {
  const b = bytes[i];
  for (let k = i + 1; k < end; k++) {
    const c = bytes[k];
    if (k === i + 1 && ((b === 0xe0 && c < 0xa0) || (b === 0xed && c > 0x9f) || (b === 0xf0 && c < 0x90) || (b === 0xf4 && c > 0x8f))) return false;
    if ((c & 0xc0) !== 0x80) return false;
  }
  return true;
}

function toBytes(input) {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) return new Uint8Array(input);
  throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
}

const LABELS = { 'utf-8': 'utf-8', utf8: 'utf-8', 'unicode-1-1-utf-8': 'utf-8', latin1: 'latin1', 'iso-8859-1': 'latin1', ascii: 'latin1', 'us-ascii': 'latin1', 'utf-16le': 'utf-16le', 'utf-16': 'utf-16le' };

class TextEncoder {
  get encoding() {
    return 'utf-8';
  }
  encode(input = '') {
    return utf8Encode(String(input));
  }
  encodeInto(input, destination) {
    const [read, written] = utf8Write(String(input), destination);
    return { read, written };
  }
}

class TextDecoder {
  #encoding;
  #fatal;
  #ignoreBOM;
  #pending = null;
  constructor(label = 'utf-8', options = {}) {
    const encoding = LABELS[String(label).trim().toLowerCase()];
    if (!encoding) throw new RangeError(`The "${label}" encoding is not supported`);
    this.#encoding = encoding;
    this.#fatal = Boolean(options.fatal);
    this.#ignoreBOM = Boolean(options.ignoreBOM);
  }
  get encoding() {
    return this.#encoding;
  }
  get fatal() {
    return this.#fatal;
  }
  get ignoreBOM() {
    return this.#ignoreBOM;
  }
  decode(input, options = {}) {
    let bytes = toBytes(input);
    if (this.#pending) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    const stream = Boolean(options.stream);
    if (this.#encoding === 'latin1') return latin1(bytes, 0, bytes.length);
    if (this.#encoding === 'utf-16le') {
      const even = bytes.length & ~1;
      if (stream && even < bytes.length) this.#pending = bytes.slice(even);
      let text = '';
      for (let i = 0; i < even; i += CHUNK * 2) {
        text += String.fromCharCode.apply(null, new Uint16Array(bytes.slice(i, Math.min(even, i + CHUNK * 2)).buffer));
      }
      return text;
    }
    let start = 0;
    if (!this.#ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    const [text, stop] = utf8Decode(bytes, start, bytes.length, this.#fatal, stream);
    if (stop < bytes.length) this.#pending = bytes.slice(stop);
    return text;
  }
}

function latin1(bytes, start, end) {
  let text = '';
  for (let i = start; i < end; i += CHUNK) text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)));
  return text;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function btoa(data) {
  const s = String(data);
  let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const c = s.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) throw new Error('Invalid character');
    out += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4 || 0)];
    out += i + 1 < s.length ? B64[((b & 15) << 2) | (c >> 6 || 0)] : '=';
    out += i + 2 < s.length ? B64[c & 63] : '=';
  }
  return out;
}

function atob(data) {
  const s = String(data).replace(/[\t\n\f\r ]/g, '');
  const clean = s.length % 4 === 0 ? s.replace(/==?$/, '') : s;
  if (clean.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(clean)) throw new Error('The string to be decoded is not correctly encoded.');
  let out = '';
  let bits = 0;
  let value = 0;
  for (let i = 0; i < clean.length; i++) {
    value = (value << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}

internal.utf8Encode = utf8Encode;
internal.utf8Decode = (bytes) => utf8Decode(bytes, 0, bytes.length, false, false)[0];
for (const [name, value] of Object.entries({ TextEncoder, TextDecoder, atob, btoa })) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
