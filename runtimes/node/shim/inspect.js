// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). Node's own util.inspect and
// util.format (node-inspect-extracted: lib/internal/util/inspect.js with its primordials). Evaluating it
// costs ~10 ms, so `util` loads it on the first call of inspect/format, not when `util` is required.
/* global internal */
internal.nodeInspect = require('node-inspect-extracted');
