// Runs inside the isolate, on demand. The `dns` and `dns/promises` built-ins, answered by the gateway's
// resolver (host.ts). Each query is one fire-and-forget call; its answer arrives as an event, and until it
// does the query counts as pending work (as a getaddrinfo request keeps Node's loop alive).
/* global internal */
const service = internal.service('dns', (id, event, data) => {
  const callback = queries.get(id);
  if (callback === undefined || event !== 'result') return;
  queries.delete(id);
  internal.loopUnref();
  const [error, ...values] = data;
  callback(error === null ? null : nodeError(error), ...values);
});
const queries = new Map();
let nextId = 1;

function nodeError(data) {
  const error = new Error(data.message);
  for (const key of Object.keys(data)) if (key !== 'message' && key !== 'name') error[key] = data[key];
  return error;
}

function argTypeError(name, expected, value) {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${internal.inspect(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function query(callback, start) {
  if (typeof callback !== 'function') throw argTypeError('callback', 'of type function', callback);
  const id = nextId++;
  queries.set(id, callback);
  internal.loopRef();
  start(id);
}

const constants = {
  ADDRCONFIG: 1024,
  V4MAPPED: 2048,
  ALL: 256,
  NODATA: 'ENODATA',
  FORMERR: 'EFORMERR',
  SERVFAIL: 'ESERVFAIL',
  NOTFOUND: 'ENOTFOUND',
  NOTIMP: 'ENOTIMP',
  REFUSED: 'EREFUSED',
  BADQUERY: 'EBADQUERY',
  BADNAME: 'EBADNAME',
  BADFAMILY: 'EBADFAMILY',
  BADRESP: 'EBADRESP',
  CONNREFUSED: 'ECONNREFUSED',
  TIMEOUT: 'ETIMEOUT',
  EOF: 'EOF',
  FILE: 'EFILE',
  NOMEM: 'ENOMEM',
  DESTRUCTION: 'EDESTRUCTION',
  BADSTR: 'EBADSTR',
  BADFLAGS: 'EBADFLAGS',
  NONAME: 'ENONAME',
  BADHINTS: 'EBADHINTS',
  NOTINITIALIZED: 'ENOTINITIALIZED',
  LOADIPHLPAPI: 'ELOADIPHLPAPI',
  ADDRGETNETWORKPARAMS: 'EADDRGETNETWORKPARAMS',
  CANCELLED: 'ECANCELLED',
};

let defaultOrder = 'verbatim';

function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  } else if (typeof options === 'number') {
    options = { family: options };
  } else if (options === undefined || options === null) {
    options = {};
  }
  if (hostname !== undefined && hostname !== null && typeof hostname !== 'string') throw argTypeError('hostname', 'of type string', hostname);
  const hostOptions = { family: options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family || 0, all: Boolean(options.all) };
  if (options.hints !== undefined) hostOptions.hints = options.hints;
  hostOptions.verbatim = options.verbatim !== undefined ? Boolean(options.verbatim) : options.order !== undefined ? options.order === 'verbatim' : defaultOrder === 'verbatim';
  query(callback, (id) => service.lookup(id, hostname || '', hostOptions));
  return {};
}

function lookupService(address, port, callback) {
  query(callback, (id) => service.lookupService(id, String(address), Number(port)));
}

function resolver(method, withOption) {
  return function (hostname, option, callback) {
    if (typeof option === 'function') {
      callback = option;
      option = undefined;
    }
    if (typeof hostname !== 'string') throw argTypeError('name', 'of type string', hostname);
    query(callback, (id) => service.resolve(id, method, hostname, withOption ? option : undefined));
    return {};
  };
}

const RESOLVERS = ['resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt'];

const callbackApi = {
  lookup,
  lookupService,
  resolve: resolver('resolve', true),
  reverse: resolver('reverse', false),
};
for (const method of RESOLVERS) callbackApi[method] = resolver(method, method === 'resolve4' || method === 'resolve6');

function promisified(fn, multi) {
  return (...args) =>
    new Promise((resolve, reject) => {
      fn(...args, (error, ...values) => {
        if (error !== null) reject(error);
        else resolve(multi ? values : values[0]);
      });
    });
}

class Resolver {
  constructor() {}
  cancel() {}
  getServers() {
    return service.getServers();
  }
  setServers(servers) {
    service.setServers(servers);
  }
  setLocalAddress() {}
}
for (const name of Object.keys(callbackApi)) {
  if (name !== 'lookup' && name !== 'lookupService') Resolver.prototype[name] = callbackApi[name];
}

class PromiseResolver extends Resolver {}
const promises = {
  lookup(hostname, options) {
    return new Promise((resolve, reject) => {
      lookup(hostname, options, (error, address, family) => {
        if (error !== null) reject(error);
        else resolve(Array.isArray(address) ? address : { address, family });
      });
    });
  },
  lookupService(address, port) {
    return promisified(lookupService, true)(address, port).then(([hostname, service]) => ({ hostname, service }));
  },
  Resolver: PromiseResolver,
  getServers: () => service.getServers(),
  setServers: (servers) => service.setServers(servers),
  setDefaultResultOrder: (order) => {
    defaultOrder = order;
  },
  getDefaultResultOrder: () => defaultOrder,
};
for (const name of Object.keys(callbackApi)) {
  if (name === 'lookup' || name === 'lookupService') continue;
  promises[name] = promisified(callbackApi[name], false);
  PromiseResolver.prototype[name] = promises[name];
}
Object.assign(promises, constants);

const dns = {
  ...callbackApi,
  Resolver,
  getServers: () => service.getServers(),
  setServers: (servers) => service.setServers(servers),
  setDefaultResultOrder: (order) => {
    defaultOrder = order;
  },
  getDefaultResultOrder: () => defaultOrder,
  promises,
  ...constants,
};
lookup[Symbol.for('nodejs.util.promisify.custom')] = promises.lookup;

internal.modules.dns = dns;
internal.modules['dns/promises'] = promises;
