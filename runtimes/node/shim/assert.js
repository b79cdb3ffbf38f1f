// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). `assert` and `assert/strict`
// are the `assert` package (commonjs-assert: Node's lib/assert.js for other engines) over the isolate's own
// `util`, so failure messages show Node's inspect output. Its deep comparison is also util.isDeepStrictEqual.
/* global internal */
const assert = require('assert/build/assert.js');
const { isDeepStrictEqual } = require('assert/build/internal/util/comparisons.js');

internal.modules.assert = assert;
internal.modules['assert/strict'] = assert.strict;
internal.isDeepStrictEqual = isDeepStrictEqual;
