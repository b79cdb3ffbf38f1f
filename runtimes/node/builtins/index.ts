/**
 * Every host service by the name the shim asks for (shim/services.js). One line each. A built-in with a host
 * half lives in one folder named after it: `host.ts` (the gateway's side) and `isolate.js` (the module user
 * code requires), registered here and in shim.ts's SHIM_FILES.
 */
import { cryptoService } from './crypto/host.ts';
import { fsService } from './fs/host.ts';
import { dnsService } from './dns/host.ts';
import { httpService } from './http/host.ts';
import { netService } from './net/host.ts';
import { osService } from './os/host.ts';
import { zlibService } from './zlib/host.ts';
import type { HostServiceFactory } from './service.ts';

export const HOST_SERVICES: Readonly<Record<string, HostServiceFactory>> = {
  crypto: cryptoService,
  fs: fsService,
  os: osService,
  zlib: zlibService,
  net: netService,
  dns: dnsService,
  http: httpService,
};
