/**
 * Function processes for Python, PHP, Java, Go and custom runtimes: the Runtime API state machine, its
 * pipe transport, the process wrapper with limits, pre-warmed interpreters and the shim adapter.
 */
export { SubprocessInstance, type LaunchedProcess, type RuntimeTransport, type SubprocessInstanceOptions } from './instance.ts';
export { executableInCodeDir } from './executable.ts';
export { jsonText } from './json-text.ts';
export { LineSplitter } from './lines.ts';
export {
  DATA_RLIMIT_HEADROOM_BYTES,
  MEMORY_SAMPLE_INTERVAL_MS,
  MemoryWatch,
  dataRlimitBytes,
  memoryLimitBytes,
  readRss,
  readTreeRss,
} from './memory.ts';
export { PipeChannel, type ChannelHooks } from './pipe-channel.ts';
export { DEFAULT_PREWARM_SIZE, PrewarmPool, type PrewarmPoolOptions } from './prewarm.ts';
export {
  FunctionProcess,
  SYSTEM_PATH,
  exitText,
  processEnvironment,
  wrappedCommand,
  type ExitInfo,
  type SpawnProcessOptions,
} from './process.ts';
export type {
  ChildMessage,
  ErrorMessage,
  HostMessage,
  InvokeMessage,
  LoadMessage,
  ReadyMessage,
  ReadyTimings,
  ResponseMessage,
  RuntimeErrorData,
} from './protocol.ts';
export { RUNTIME_ERROR_CODES, RuntimeApiSession, runtimeError, type Invocation, type SessionState } from './runtime-api.ts';
export {
  ShimRuntime,
  type Interpreter,
  type InterpreterProfile,
  type ShimRuntimeAdapter,
  type ShimRuntimeOptions,
} from './shim-adapter.ts';
