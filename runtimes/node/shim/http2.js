// Runs inside the isolate, on demand. `http2`: loadable, as in Node, because libraries (axios, undici)
// require it at load and use it only when asked to; its constants are Node's (`data`, see shim.ts) and its
// classes exist, but every call that would open a session or a server fails, saying where http2 works.
/* global internal, data */
function unavailable(what) {
  const error = new Error(`http2.${what}() is not available in the isolate; set \`nodeRuntime: process\` for this function (fngate.yml) to run it in a full Node.js process`);
  error.code = 'ERR_BUILTIN_UNAVAILABLE';
  return error;
}

function refuse(what) {
  return function refused() {
    throw unavailable(what);
  };
}

// The server-side compatibility classes: only ever made by a server, which the isolate cannot run.
class Http2ServerRequest {
  constructor() {
    throw unavailable('Http2ServerRequest');
  }
}
class Http2ServerResponse {
  constructor() {
    throw unavailable('Http2ServerResponse');
  }
}

const { settings } = data;

internal.modules.http2 = {
  connect: refuse('connect'),
  constants: { ...data.constants },
  createServer: refuse('createServer'),
  createSecureServer: refuse('createSecureServer'),
  getDefaultSettings: () => ({ ...settings }),
  // The packed form is what Node writes in a SETTINGS frame: 6 bytes per setting (16-bit id, 32-bit value), by id.
  getPackedSettings(values = {}) {
    const ids = { headerTableSize: 1, enablePush: 2, maxConcurrentStreams: 3, initialWindowSize: 4, maxFrameSize: 5, maxHeaderListSize: 6, enableConnectProtocol: 8 };
    const entries = Object.entries(values).filter(([key, value]) => ids[key] !== undefined && value !== undefined)
      .sort(([a], [b]) => ids[a] - ids[b]);
    const bytes = internal.builtin('buffer').Buffer.alloc(entries.length * 6);
    entries.forEach(([key, value], i) => {
      bytes.writeUInt16BE(ids[key], i * 6);
      bytes.writeUInt32BE(Number(value), i * 6 + 2);
    });
    return bytes;
  },
  getUnpackedSettings(buffer) {
    const names = { 1: 'headerTableSize', 2: 'enablePush', 3: 'maxConcurrentStreams', 4: 'initialWindowSize', 5: 'maxFrameSize', 6: 'maxHeaderListSize', 8: 'enableConnectProtocol' };
    const bytes = internal.builtin('buffer').Buffer.from(buffer);
    const result = {};
    for (let i = 0; i + 6 <= bytes.length; i += 6) {
      const name = names[bytes.readUInt16BE(i)];
      const value = bytes.readUInt32BE(i + 2);
      if (name !== undefined) result[name] = name === 'enablePush' || name === 'enableConnectProtocol' ? value !== 0 : value;
    }
    return result;
  },
  performServerHandshake: refuse('performServerHandshake'),
  sensitiveHeaders: Symbol('nodejs.http2.sensitiveHeaders'),
  Http2ServerRequest,
  Http2ServerResponse,
};
