/**
 * Go functions (SPEC §2, runtime `Go1`): unmodified binaries built against github.com/tencentyun/scf-go-lib.
 * The handler names the binary in the code folder (`main`). Each instance is one process that serves
 * net/rpc on `$_LAMBDA_SERVER_PORT`; fngate connects once and sends every invocation over that connection
 * (transport.ts). Limits, logs and failure codes are the shared subprocess instance's.
 */
import { createServer, type AddressInfo } from 'node:net';
import { functionEnvironment } from '../env.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { executableInCodeDir } from '../subprocess/executable.ts';
import { SubprocessInstance, type LaunchedProcess } from '../subprocess/instance.ts';
import { dataRlimitBytes } from '../subprocess/memory.ts';
import { FunctionProcess } from '../subprocess/process.ts';
import { GoRpcTransport } from './transport.ts';
import { PROCESS_CALLS } from '../run-gate.ts';
import { PROCESS_STARTS } from '../start-gate.ts';

/** The address whose free port is handed out: scf-go-lib binds 0.0.0.0, so the port must be free on all. */
const PORT_PROBE_HOST = '0.0.0.0';

/** A port free right now. The function binds it a few ms later; a clash there fails the start visibly (443). */
export async function freePort(host = PORT_PROBE_HOST): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment of a Go function: the built-ins plus what scf-go-lib reads at start-up. */
export function goEnvironment(spec: FunctionSpec, port: number): Record<string, string> {
  return {
    ...functionEnvironment(spec),
    _LAMBDA_SERVER_PORT: String(port),
    FUNCTION_NAME: spec.name,
    FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    FUNCTION_VERSION: spec.version,
  };
}

async function launch(spec: FunctionSpec): Promise<LaunchedProcess> {
  const binary = await executableInCodeDir(spec, spec.handler, 'the Go binary');
  const port = await freePort();
  const environment = goEnvironment(spec, port);
  const spawnedAt = performance.now();
  const process = await FunctionProcess.spawn({
    command: binary,
    args: [],
    env: environment,
    cwd: spec.codeDir,
    label: 'go',
    // A Go binary cannot be asked to limit itself. RSS sampling stops ordinary growth (a tight loop
    // touching fresh memory grew ~35 MB per 50 ms sample here); the rlimit, at twice the memory size, stops
    // what outruns it: the Go runtime dies ("fatal error: runtime: out of memory"), reported as 439.
    dataLimitBytes: dataRlimitBytes(spec.memoryMb),
    // fmt.Println goes to stdout, log.Print to stderr: one pipe keeps their order in the log.
    mergeStderr: true,
    sandbox: { codeDir: spec.codeDir, layerDirs: spec.layerDirs, network: spec.sandboxNetwork },
    // Sandboxed, the port exists only in the instance's network namespace; the gateway reaches it by a Unix socket.
    forwards: [{ port, toGateway: false }],
  });
  const socketPath = process.socketPath(port);
  return { process, environment, transport: new GoRpcTransport({ process, port, socketPath, spec, environment, spawnedAt }) };
}

export const goRuntime = (): RuntimeAdapter => ({
  kind: 'go',
  startGate: PROCESS_STARTS,
  runGate: PROCESS_CALLS,
  supports: (runtime) => /^go1$/i.test(runtime),
  createInstance: (spec): Instance => new SubprocessInstance({ spec, launch: () => launch(spec) }),
});
