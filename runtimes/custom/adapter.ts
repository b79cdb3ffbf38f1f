/**
 * Custom Runtime functions (SPEC §3, runtime `CustomRuntime`): the code folder's `bootstrap` executable is
 * the runtime. It gets the function's environment plus `SCF_RUNTIME_API` (a host) and
 * `SCF_RUNTIME_API_PORT`, and talks to a per-instance HTTP server (runtime-api-server.ts) to say it is
 * ready, fetch events and post results. `_HANDLER` is the configured handler, for the bootstrap to interpret.
 */
import { functionEnvironment } from '../env.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { FnError } from '../../gateway/errors.ts';
import { crlfMessage, executableInCodeDir, hasCrlfLineEndings } from '../subprocess/executable.ts';
import { SubprocessInstance, type LaunchedProcess } from '../subprocess/instance.ts';
import { dataRlimitBytes } from '../subprocess/memory.ts';
import { FunctionProcess, processesAreSandboxed } from '../subprocess/process.ts';
import { RUNTIME_API_HOST, RuntimeApiServer, SANDBOX_RUNTIME_API_PORT } from './runtime-api-server.ts';
import { PROCESS_CALLS } from '../run-gate.ts';
import { PROCESS_STARTS } from '../start-gate.ts';

/** The executable SCF looks for in a custom runtime's code folder. */
export const BOOTSTRAP = 'bootstrap';

async function launch(spec: FunctionSpec): Promise<LaunchedProcess> {
  const bootstrap = await executableInCodeDir(spec, BOOTSTRAP, 'the custom runtime entry');
  if (await hasCrlfLineEndings(bootstrap)) throw new FnError('USER_CODE_LOAD_ERROR', crlfMessage(BOOTSTRAP));
  const limits = { memoryMb: spec.memoryMb, timeoutMs: spec.timeoutMs };
  // Sandboxed, the API's port is inside the instance's network namespace, joined to a Unix socket of the
  // gateway (listened on once the process's private folder exists; the forwarder retries until then).
  const sandboxed = processesAreSandboxed();
  const server = sandboxed ? RuntimeApiServer.create(limits) : await RuntimeApiServer.start(limits);
  const port = sandboxed ? SANDBOX_RUNTIME_API_PORT : server.port;
  try {
    const environment = {
      ...functionEnvironment(spec),
      // SCF's samples call "http://$SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT/…": the first is the host alone.
      SCF_RUNTIME_API: RUNTIME_API_HOST,
      SCF_RUNTIME_API_PORT: String(port),
    };
    const process = await FunctionProcess.spawn({
      command: bootstrap,
      args: [],
      env: environment,
      cwd: spec.codeDir,
      label: 'custom',
      // Backstop against one huge allocation; RSS sampling of the whole tree decides first (memory.ts).
      dataLimitBytes: dataRlimitBytes(spec.memoryMb),
      // A bash bootstrap logs to both (`echo … 1>&2`): one pipe keeps the order of its lines.
      mergeStderr: true,
      sandbox: { codeDir: spec.codeDir, layerDirs: spec.layerDirs, network: spec.sandboxNetwork },
      forwards: [{ port, toGateway: true }],
    });
    const path = process.socketPath(port);
    if (path !== undefined) {
      await server.listen({ path }).catch(async (error: unknown) => {
        await process.close();
        throw error;
      });
    }
    return { process, environment, transport: server };
  } catch (error) {
    await server.close();
    throw error;
  }
}

export const customRuntime = (): RuntimeAdapter => ({
  kind: 'custom',
  startGate: PROCESS_STARTS,
  runGate: PROCESS_CALLS,
  supports: (runtime) => /^customruntime$/i.test(runtime),
  createInstance: (spec): Instance => new SubprocessInstance({ spec, launch: () => launch(spec) }),
});
