// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). `punycode` is the punycode.js
// package, the same code Node ships as its (deprecated) punycode built-in.
/* global internal */
internal.modules.punycode = require('punycode/punycode.js');
