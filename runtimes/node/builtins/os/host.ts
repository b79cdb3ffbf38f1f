/**
 * The `os` built-in's host half: the machine's facts as SCF shows them to a function. The memory figures
 * are the function's (totalmem is its memorySize, as in SCF's container); the rest is the gateway host's.
 */
import * as os from 'node:os';
import ivm from 'isolated-vm';
import type { HostService, ServiceContext } from '../service.ts';

export function osService(context: ServiceContext): HostService {
  const totalmem = context.spec.memoryMb * 1024 * 1024;
  return {
    callbacks: {
      facts: new ivm.Callback(() => ({
        hostname: os.hostname(),
        release: os.release(),
        version: os.version(),
        machine: os.machine(),
        type: os.type(),
        endianness: os.endianness(),
        availableParallelism: os.availableParallelism(),
        totalmem,
        constants: { signals: { ...os.constants.signals }, errno: { ...os.constants.errno }, priority: { ...os.constants.priority }, dlopen: { ...os.constants.dlopen } },
        cpus: os.cpus().map(({ model, speed, times }) => ({ model, speed, times: { ...times } })),
      })),
      dynamic: new ivm.Callback(() => ({
        uptime: os.uptime(),
        loadavg: os.loadavg(),
        freemem: Math.max(0, totalmem - context.memory.used),
      })),
    },
    close: () => {},
  };
}
