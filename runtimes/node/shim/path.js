// Runs inside the isolate. The `path` built-in (POSIX flavour, as on SCF's Linux), after Node's lib/path.js.
/* global internal, config */
function assertPath(value, name = 'path') {
  if (typeof value !== 'string') throw new TypeError(`The "${name}" argument must be of type string. Received ${internal.inspect(value)}`);
}

// Resolves `.` and `..` segments; `allowAboveRoot` keeps leading `..` for relative paths.
function normalizeString(path, allowAboveRoot) {
  const out = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (allowAboveRoot) out.push('..');
    } else out.push(segment);
  }
  return out.join('/');
}

const path = {
  sep: '/',
  delimiter: ':',
  resolve(...args) {
    let resolved = '';
    let absolute = false;
    for (let i = args.length - 1; i >= -1 && !absolute; i--) {
      const segment = i >= 0 ? args[i] : config.codeDir;
      assertPath(segment, `paths[${i}]`);
      if (segment === '') continue;
      resolved = `${segment}/${resolved}`;
      absolute = segment.startsWith('/');
    }
    resolved = normalizeString(resolved, !absolute);
    return absolute ? `/${resolved}` : resolved || '.';
  },
  normalize(p) {
    assertPath(p);
    if (p === '') return '.';
    const absolute = p.startsWith('/');
    const trailing = p.endsWith('/');
    let out = normalizeString(p, !absolute);
    if (out === '' && !absolute) out = '.';
    if (out !== '' && trailing) out += '/';
    return absolute ? `/${out}` : out;
  },
  isAbsolute(p) {
    assertPath(p);
    return p.startsWith('/');
  },
  join(...args) {
    for (const arg of args) assertPath(arg);
    const joined = args.filter((a) => a !== '').join('/');
    return joined === '' ? '.' : path.normalize(joined);
  },
  relative(from, to) {
    assertPath(from, 'from');
    assertPath(to, 'to');
    const a = path.resolve(from).split('/').filter(Boolean);
    const b = path.resolve(to).split('/').filter(Boolean);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
  },
  dirname(p) {
    assertPath(p);
    if (p === '') return '.';
    const trimmed = p.replace(/\/+$/, '');
    if (trimmed === '') return '/';
    const at = trimmed.lastIndexOf('/');
    if (at < 0) return '.';
    const dir = trimmed.slice(0, at).replace(/\/+$/, '');
    return dir === '' ? '/' : dir;
  },
  basename(p, ext) {
    assertPath(p);
    const trimmed = p.replace(/\/+$/, '');
    let base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    if (ext !== undefined && base.endsWith(ext)) base = base.slice(0, -ext.length);
    return base;
  },
  extname(p) {
    assertPath(p);
    const base = path.basename(p);
    const dot = base.lastIndexOf('.');
    return dot <= 0 || (dot === 1 && base === '..') ? '' : base.slice(dot);
  },
  parse(p) {
    assertPath(p);
    const root = p.startsWith('/') ? '/' : '';
    const base = path.basename(p);
    const ext = path.extname(p);
    let dir = path.dirname(p);
    if (dir === '.' && !p.startsWith('.')) dir = '';
    return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
  },
  format(parts) {
    const dir = parts.dir || parts.root || '';
    const base = parts.base || `${parts.name || ''}${parts.ext ? (parts.ext.startsWith('.') ? '' : '.') + parts.ext : ''}`;
    return dir ? (dir === parts.root ? `${dir}${base}` : `${dir}/${base}`) : base;
  },
  toNamespacedPath: (p) => p,
};
path.posix = path;
internal.path = path;
