/**
 * A RuntimeAdapter for interpreters that run a fngate shim (Python, PHP, Java, Node.js process mode):
 * the shim speaks the pipe protocol and loads the function named in its `load` message. What differs per
 * language is an InterpreterProfile; everything else (pre-warming, environment, limits) is here once.
 *
 * Pre-warming and the environment: a process's environment is fixed when it is spawned, and a spare is
 * spawned before its function is known, so it starts with a neutral environment (PATH, HOME, TMPDIR and
 * the profile's neutral variables, nothing of the gateway's). The function's complete environment
 * travels in `load`, and the shim applies it (Python `os.environ`, PHP `putenv`, Node.js `process.env`) before it imports any
 * user code. Variables an interpreter reads only while starting cannot be applied that way, so
 * functions that set them get a fresh process (`canAdopt`). Fresh processes get the same `load`, so both
 * paths run the same code.
 */
import type { FnError } from '../../gateway/errors.ts';
import { functionEnvironment, scfContext } from '../env.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { SubprocessInstance, type LaunchedProcess } from './instance.ts';
import { dataRlimitBytes } from './memory.ts';
import { DEFAULT_PREWARM_SIZE, PrewarmPool } from './prewarm.ts';
import { FunctionProcess, processEnvironment, type ExitInfo } from './process.ts';
import { PROCESS_CALLS } from '../run-gate.ts';
import { PROCESS_STARTS } from '../start-gate.ts';

export interface Interpreter {
  /** Absolute path of the interpreter binary. */
  command: string;
  /** Folders the function's PATH starts with (the interpreter's own). */
  binDirs: string[];
}

export interface InterpreterProfile<I extends Interpreter = Interpreter> {
  readonly kind: string;
  supports(runtime: string): boolean;
  /** The interpreter behind `command`, resolved once per adapter. */
  resolve(command: string): Promise<I>;
  /**
   * Arguments that run the shim. `spec` is the function a fresh process is spawned for; it is absent for
   * a pre-warmed spare (per-function interpreter options such as Java's heap size need a fresh process).
   */
  args(interpreter: I, spec?: FunctionSpec): string[];
  /** Join stderr to stdout outside the process (for shims that cannot dup2 themselves). */
  readonly mergeStderr?: boolean;
  /**
   * The RLIMIT_DATA to spawn with (through prlimit), for interpreters that cannot set it on themselves
   * at `load` (Node.js). `spec` is absent for a pre-warmed spare: `canAdopt` must then accept only
   * functions whose limit is the spare's. @default none (the shim sets its own, from `load`)
   */
  dataLimitBytes?(spec: FunctionSpec | undefined): number;
  /** What a process that died mid-start or mid-invocation left behind, read as an error (SubprocessInstanceOptions). */
  explainExit?(info: ExitInfo, process: FunctionProcess, spec: FunctionSpec): FnError | undefined;
  /** Per-runtime built-in variables for a function (PYTHONPATH, PHP_INI_SCAN_DIR …). */
  runtimeVariables(spec: FunctionSpec, interpreter: I): Promise<Record<string, string>>;
  /** Variables of a pre-warmed interpreter, started before any function is known. */
  neutralVariables(interpreter: I): Record<string, string>;
  /**
   * Whether a pre-warmed interpreter can become this function. The environment of a process is fixed
   * at spawn and some variables are read only while the interpreter starts (PYTHONHASHSEED,
   * PHP_INI_SCAN_DIR); a function setting such a variable must get a fresh process.
   */
  canAdopt(spec: FunctionSpec, environment: Record<string, string>, interpreter: I): boolean;
}

export interface ShimRuntimeOptions {
  /** Pre-warmed interpreters kept ready; 0 turns pre-warming off. @default DEFAULT_PREWARM_SIZE */
  prewarm?: number;
  /** The interpreter to run, a name on the gateway's PATH or a path. @default the profile's own */
  command?: string;
}

export interface ShimRuntimeAdapter extends RuntimeAdapter {
  /** Fill the pre-warm pool now; resolves when the spares are up. Otherwise it fills on first use. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** Variables every loader or libc reads only at process start-up: such a function is never pre-warmed. */
const STARTUP_ONLY_VARIABLE = /^(LD_|MALLOC_|GLIBC_TUNABLES$|LANG$|LC_)/;

export class ShimRuntime<I extends Interpreter> implements ShimRuntimeAdapter {
  readonly kind: string;
  readonly startGate = PROCESS_STARTS;
  readonly runGate = PROCESS_CALLS;
  #profile: InterpreterProfile<I>;
  #command: string;
  #interpreter: Promise<I> | undefined;
  #pool: PrewarmPool | undefined;

  constructor(profile: InterpreterProfile<I>, defaultCommand: string, options: ShimRuntimeOptions = {}) {
    this.kind = profile.kind;
    this.#profile = profile;
    this.#command = options.command ?? defaultCommand;
    const size = options.prewarm ?? DEFAULT_PREWARM_SIZE;
    if (size > 0) this.#pool = new PrewarmPool({ size, spawn: () => this.#spawnSpare() });
  }

  supports(runtime: string): boolean {
    return this.#profile.supports(runtime);
  }

  createInstance(spec: FunctionSpec): Instance {
    const explain = this.#profile.explainExit?.bind(this.#profile);
    return new SubprocessInstance({
      spec,
      prepare: () => this.#resolve(),
      launch: () => this.#launch(spec),
      explainExit: explain && ((info, process) => explain(info, process, spec)),
    });
  }

  async warm(): Promise<void> {
    await this.#resolve();
    await this.#pool?.fill();
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }

  #resolve(): Promise<I> {
    this.#interpreter ??= this.#profile.resolve(this.#command);
    // A failed resolution is retried by the next start (the interpreter may be installed meanwhile).
    this.#interpreter.catch(() => (this.#interpreter = undefined));
    return this.#interpreter;
  }

  async #launch(spec: FunctionSpec): Promise<LaunchedProcess> {
    const interpreter = await this.#resolve();
    const runtimeVariables = await this.#profile.runtimeVariables(spec, interpreter);
    const environment = functionEnvironment(spec, { runtimeVariables });
    const adoptable =
      !Object.keys(spec.environment).some((key) => STARTUP_ONLY_VARIABLE.test(key)) &&
      this.#profile.canAdopt(spec, environment, interpreter);
    const process =
      (adoptable ? await this.#adopt(spec) : undefined) ??
      (await FunctionProcess.spawn({
        command: interpreter.command,
        args: this.#profile.args(interpreter, spec),
        env: environment,
        binDirs: interpreter.binDirs,
        cwd: spec.codeDir,
        label: this.kind,
        mergeStderr: this.#profile.mergeStderr,
        dataLimitBytes: this.#profile.dataLimitBytes?.(spec),
        sandbox: { codeDir: spec.codeDir, layerDirs: spec.layerDirs, network: spec.sandboxNetwork },
      }));
    // Inside a sandbox the function sees its code at /var/user and its layers at /opt.
    const visible = (text: string): string => process.sandbox?.visible(text) ?? text;
    const { request_id: _unused, ...context } = scfContext(spec, '', environment);
    return {
      process,
      environment,
      load: {
        op: 'load',
        codeDir: visible(spec.codeDir),
        handler: spec.handler,
        handlerStyle: spec.handlerStyle,
        initializer: spec.initializer,
        // Exactly what a process spawned for this function would have: pre-warmed ones apply it.
        env: process.sandbox?.visibleEnv(processEnvironment(environment, process.tempDir, interpreter.binDirs)) ??
          processEnvironment(environment, process.tempDir, interpreter.binDirs),
        dataLimitBytes: dataRlimitBytes(spec.memoryMb),
        memoryMb: spec.memoryMb,
        context,
        initDeadline: Date.now() + spec.initTimeoutMs,
      },
    };
  }

  /** A pre-warmed spare made this function's, or undefined (none left, or its sandbox cannot take the code). */
  async #adopt(spec: FunctionSpec): Promise<FunctionProcess | undefined> {
    const spare = this.#pool?.take();
    if (!spare?.sandbox) return spare;
    if (!spare.sandbox.canAdopt(spec.layerDirs, spec.sandboxNetwork)) {
      void spare.close();
      return undefined;
    }
    try {
      await spare.sandbox.attachCode(spec.codeDir);
      return spare;
    } catch {
      void spare.close();
      return undefined;
    }
  }

  async #spawnSpare(): Promise<FunctionProcess> {
    const interpreter = await this.#resolve();
    return FunctionProcess.spawn({
      command: interpreter.command,
      args: this.#profile.args(interpreter),
      env: this.#profile.neutralVariables(interpreter),
      binDirs: interpreter.binDirs,
      label: `${this.kind}-spare`,
      mergeStderr: this.#profile.mergeStderr,
      dataLimitBytes: this.#profile.dataLimitBytes?.(undefined),
      sandbox: {},
    });
  }
}
