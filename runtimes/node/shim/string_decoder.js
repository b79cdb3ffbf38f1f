// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). `string_decoder` is the
// npm package published from Node core's lib/string_decoder.js.
/* global internal */
internal.modules.string_decoder = require('string_decoder/');
