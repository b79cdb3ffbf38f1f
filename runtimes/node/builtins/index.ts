/**
 * Every host service by the name the shim asks for (shim/services.js). One line each. A built-in with a host
 * half lives in one folder named after it: `host.ts` (the gateway's side) and `isolate.js` (the module user
 * code requires), registered here and in shim.ts's SHIM_FILES.
 */
import type { HostServiceFactory } from './service.ts';

export type HostServices = Readonly<Record<string, HostServiceFactory>>;

let loaded: Promise<HostServices> | undefined;

/**
 * Every host service by the name the shim asks for, loaded once, when the first Node.js instance starts.
 * Why not at import: the host halves bring node:tls, http, https, zlib, dns and crypto, which Node without
 * its start-up snapshot compiles on first load (tens of ms); the gateway's start-up needs none of them.
 */
export function hostServices(): Promise<HostServices> {
  loaded ??= Promise.all([
    import('./crypto/host.ts'),
    import('./fs/host.ts'),
    import('./os/host.ts'),
    import('./zlib/host.ts'),
    import('./net/host.ts'),
    import('./dns/host.ts'),
    import('./http/host.ts'),
  ]).then(([crypto, fs, os, zlib, net, dns, http]) => ({
    crypto: crypto.cryptoService,
    fs: fs.fsService,
    os: os.osService,
    zlib: zlib.zlibService,
    net: net.netService,
    dns: dns.dnsService,
    http: http.httpService,
  }));
  return loaded;
}
