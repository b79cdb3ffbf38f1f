/**
 * fngate as a library: what `import { createGateway } from 'fngate'` offers. The host process must run Node
 * with `--no-node-snapshot` (isolated-vm's requirement on Node 20+): `node --no-node-snapshot app.js`, or
 * `NODE_OPTIONS=--no-node-snapshot`.
 */
export { createGateway, startGateway, DEFAULT_HOST, DEFAULT_PORT } from './server.ts';
export type { EmbeddedGateway, Gateway, GatewayLimits, GatewayOptions, GatewayStore } from './server.ts';
export { invokeFunction, InvokeError } from './embed-invoke.ts';
export type { InvokeOptions } from './embed-invoke.ts';
export { ConfigError } from './config.ts';
export type { FunctionConfig, GatewayConfig } from './config.ts';
export { ErrorCodes, FnError } from './errors.ts';
export { StaticCredentialStore } from './auth/store.ts';
export type { CredentialStore, Credentials, KeyPair } from './auth/store.ts';
export type { ErrorCode } from './errors.ts';
export { openStore } from '../store/index.ts';
export type { Store } from '../store/index.ts';
export { createLogger, silentLogger } from './logger.ts';
export type {
  AliasRouting,
  AliasView,
  CodeSource,
  FunctionSettings,
  FunctionVersionView,
  LayerVersionView,
  LifecycleService,
  NamespaceView,
} from './lifecycle/contract.ts';
export type { CatalogStore } from '../store/index.ts';
