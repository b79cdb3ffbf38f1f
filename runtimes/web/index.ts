/** The web runtime's public surface: the adapter, and what the gateway's web route needs of an instance. */
export { WebRuntime } from './adapter.ts';
export { parseSandboxMode, type SandboxMode, type WebRuntimeOptions } from './options.ts';
export { scfHeaders, SCF_HEADER_PREFIX } from './headers.ts';
export { isWebServer, startupLogOf, type WebServer } from './server.ts';
