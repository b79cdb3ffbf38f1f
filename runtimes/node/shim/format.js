// Runs inside the isolate (see ../shim.ts for how these files are composed; `internal` is shared).
// util.inspect / util.format, close enough to Node for log lines: strings raw at top level, objects in
// Node's `{ a: 1, b: [ 1, 2 ] }` shape, depth 2, circular references marked.
/* global internal */
const CUSTOM = Symbol.for('nodejs.util.inspect.custom');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const BREAK_LENGTH = 72;
const MAX_ITEMS = 100;
const MAX_STRING = 10000;

function quote(s) {
  const q = s.includes("'") ? (s.includes('"') ? (s.includes('`') ? "'" : '`') : '"') : "'";
  const escaped = s.replace(/[\\\n\r\t\b\f\v]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' })[c]);
  return q + (q === "'" ? escaped.replace(/'/g, "\\'") : escaped) + q;
}

function fnName(fn) {
  const src = Function.prototype.toString.call(fn);
  if (src.startsWith('class')) return fn.name ? `[class ${fn.name}]` : '[class (anonymous)]';
  const kind = fn.constructor && fn.constructor.name && fn.constructor.name !== 'Function' ? fn.constructor.name : 'Function';
  return fn.name ? `[${kind}: ${fn.name}]` : `[${kind} (anonymous)]`;
}

function prefix(value, fallback) {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return '[Object: null prototype] ';
  const name = proto.constructor && proto.constructor.name;
  return name && name !== fallback ? `${name} ` : '';
}

function join(open, items, close, indent) {
  if (items.length === 0) return open.trimEnd() + close.trimStart();
  const line = `${open}${items.join(', ')}${close}`;
  if (line.length <= BREAK_LENGTH && !line.includes('\n')) return line;
  const pad = '  '.repeat(indent + 1);
  return `${open.trimEnd()}\n${pad}${items.join(`,\n${pad}`)}\n${'  '.repeat(indent)}${close.trimStart()}`;
}

function key(k) {
  if (typeof k === 'symbol') return `[${k.toString()}]`;
  return IDENTIFIER.test(k) ? k : quote(k);
}

function inspect(value, options) {
  const depth = options && options.depth !== undefined ? (options.depth === null ? Infinity : options.depth) : 2;
  return formatValue(value, depth, [], 0);
}

function formatValue(value, depth, seen, indent) {
  switch (typeof value) {
    case 'string':
      return quote(value.length > MAX_STRING ? value.slice(0, MAX_STRING) + '...' : value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return fnName(value);
  }
  if (value === null) return 'null';
  if (typeof value[CUSTOM] === 'function' && value[CUSTOM] !== inspect) {
    const out = value[CUSTOM](depth, { depth }, inspect);
    if (out !== value) return typeof out === 'string' ? out : formatValue(out, depth, seen, indent);
  }
  if (seen.includes(value)) return '[Circular *1]';
  if (value instanceof Error) return value.stack || `[${String(value)}]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Promise) return 'Promise { <unknown> }';
  if (value instanceof WeakMap || value instanceof WeakSet) return `${value.constructor.name} { <items unknown> }`;
  if (depth < 0) {
    if (Array.isArray(value)) return '[Array]';
    const name = prefix(value, '').trim();
    return `[${name || 'Object'}]`;
  }
  seen.push(value);
  try {
    return formatObject(value, depth, seen, indent);
  } finally {
    seen.pop();
  }
}

function formatObject(value, depth, seen, indent) {
  const items = [];
  const child = (v) => formatValue(v, depth - 1, seen, indent + 1);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const typed = !Array.isArray(value);
    const length = typed && value instanceof DataView ? 0 : value.length;
    for (let i = 0; i < Math.min(length, MAX_ITEMS); i++) {
      items.push(!typed && !(i in value) ? '<empty>' : child(value[i]));
    }
    if (length > MAX_ITEMS) items.push(`... ${length - MAX_ITEMS} more items`);
    if (!typed) addOwnKeys(value, items, child, true);
    const head = typed ? `${value.constructor.name}(${length}) [ ` : Object.getPrototypeOf(value) === Array.prototype ? '[ ' : `${prefix(value, 'Array')}(${length}) [ `;
    return join(head, items, ' ]', indent);
  }
  if (value instanceof ArrayBuffer) {
    const bytes = Array.from(new Uint8Array(value, 0, Math.min(value.byteLength, 50)), (b) => b.toString(16).padStart(2, '0'));
    return `ArrayBuffer { [Uint8Contents]: <${bytes.join(' ')}${value.byteLength > 50 ? ' ...' : ''}>, byteLength: ${value.byteLength} }`;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) items.push(`${child(k)} => ${child(v)}`);
    return join(`Map(${value.size}) { `, items, ' }', indent);
  }
  if (value instanceof Set) {
    for (const v of value) items.push(child(v));
    return join(`Set(${value.size}) { `, items, ' }', indent);
  }
  addOwnKeys(value, items, child, false);
  const head = prefix(value, 'Object');
  return join(`${head}{ `, items, ' }', indent);
}

function addOwnKeys(value, items, child, arrayLike) {
  for (const k of Object.keys(value)) {
    if (arrayLike && /^\d+$/.test(k)) continue;
    const desc = Object.getOwnPropertyDescriptor(value, k);
    const shown = desc && (desc.get || desc.set) ? (desc.get && desc.set ? '[Getter/Setter]' : desc.get ? '[Getter]' : '[Setter]') : child(value[k]);
    items.push(`${key(k)}: ${shown}`);
  }
  for (const s of Object.getOwnPropertySymbols(value)) {
    if (Object.getOwnPropertyDescriptor(value, s).enumerable) items.push(`${key(s)}: ${child(value[s])}`);
  }
}

function formatWithOptions(options, ...args) {
  let first = args[0];
  let rest = 1;
  let out = '';
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    out = first.replace(/%([sdifjoOc%])/g, (match, spec) => {
      if (spec === '%') return '%';
      if (rest >= args.length) return match;
      const arg = args[rest++];
      switch (spec) {
        case 's':
          return typeof arg === 'string' ? arg : typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'object' && arg !== null ? inspect(arg, { depth: 0 }) : String(arg);
        case 'd':
        case 'i':
          if (typeof arg === 'bigint') return `${arg}n`;
          if (typeof arg === 'symbol') return 'NaN';
          return String(spec === 'i' ? parseInt(arg, 10) : Number(arg));
        case 'f':
          return typeof arg === 'symbol' ? 'NaN' : String(parseFloat(arg));
        case 'j':
          try {
            return JSON.stringify(arg);
          } catch {
            return '[Circular]';
          }
        case 'c':
          return '';
        default:
          return inspect(arg, options);
      }
    });
  } else {
    out = inspect(first, options);
  }
  for (; rest < args.length; rest++) {
    const arg = args[rest];
    out += ' ' + (typeof arg === 'string' ? arg : inspect(arg, options));
  }
  return out;
}

inspect.custom = CUSTOM;
internal.inspect = inspect;
internal.format = (...args) => formatWithOptions(undefined, ...args);
internal.formatWithOptions = formatWithOptions;
