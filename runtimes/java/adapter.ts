/**
 * Java functions (SPEC §2, runtimes `Java8`, `Java11`, `Java17`, all run by the host's JVM): handler
 * `package.Class::method` taking (String | POJO | Map, Context), classes and jars from the code folder,
 * its lib/ and the layers. fngate's own shim (shim/*.java, compiled on first use by shim-build.ts) loads
 * the handler and speaks the pipe protocol of the other shims.
 *
 * Every instance is a fresh JVM: a JVM's environment (System.getenv) and heap size are fixed when it
 * starts, so a pre-warmed one could not become a function.
 */
import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FunctionSpec } from '../runtime.ts';
import { ShimRuntime, type Interpreter, type InterpreterProfile, type ShimRuntimeAdapter, type ShimRuntimeOptions } from '../subprocess/shim-adapter.ts';
import { JDK_PACKAGE, findOnPath, javaShimJar } from './shim-build.ts';

/** The JVM looked up on the gateway's PATH unless an adapter option names another. */
export const DEFAULT_JAVA = 'java';
/** Share of the memory size given to the heap; the rest is the JVM's own (metaspace, code, threads). */
export const HEAP_SHARE = 0.8;
/** The smallest heap a JVM is given, whatever the memory size. */
const MIN_HEAP_MB = 16;

export interface JavaInterpreter extends Interpreter {
  /** The compiled shim, run with `java -jar`. */
  shimJar: string;
}

export function heapMb(memoryMb: number): number {
  return Math.max(MIN_HEAP_MB, Math.floor(memoryMb * HEAP_SHARE));
}

/**
 * JVM options for a function of `memoryMb`: the heap; only the C1 compiler, which starts compiling
 * sooner and keeps the second core free during start-up (AWS's advice for short Java functions too; a
 * long CPU-bound handler loses C2's peak speed, and can have it back with `_JAVA_OPTIONS=
 * -XX:TieredStopAtLevel=4` in its environment, which the JVM applies after the command line); the serial
 * collector (what the JVM picks by itself in a small container; no GC threads, ~1-3 MB less RSS here);
 * no perf data file in the shared /tmp; UTF-8 output whatever the (absent) locale, else System.out
 * prints non-ASCII as '?'.
 *
 * Measured on the dev host (Java 17, 2 cores, the echo fixture, instance start to first result, 15
 * interleaved rounds): 151 ms median with tiered compilation, 135 ms C1-only. A dynamic AppCDS archive of
 * the shim saved another ~25 ms, but it needs a dump run per JVM and shim version, and CDS reports its
 * problems as warnings on stdout, i.e. in user logs: not used.
 */
export function jvmOptions(memoryMb: number | undefined): string[] {
  return [
    ...(memoryMb === undefined ? [] : [`-Xmx${heapMb(memoryMb)}m`]),
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-XX:-UsePerfData',
    '-Dfile.encoding=UTF-8',
    '-Dsun.stdout.encoding=UTF-8',
    '-Dsun.stderr.encoding=UTF-8',
  ];
}

/** CLASSPATH as SCF's Java images build it: the code folder, its lib/*.jar, then each layer's, in binding order. */
export function javaClasspath(spec: FunctionSpec): string {
  const layers = spec.layerDirs.flatMap((layer) => [layer, join(layer, '*'), join(layer, 'lib', '*')]);
  return [spec.codeDir, join(spec.codeDir, 'lib', '*'), ...layers].join(':');
}

export const javaProfile: InterpreterProfile<JavaInterpreter> = {
  kind: 'java',

  supports: (runtime) => /^java(8|11|17)$/i.test(runtime),

  async resolve(command) {
    const found = command.includes('/') ? command : await findOnPath(command);
    if (!found) throw new Error(`${command} not found: install a JDK (apt-get install ${JDK_PACKAGE})`);
    // The real binary (not /usr/bin/java, an alternatives link): its folder holds the matching javac.
    const java = await realpath(found);
    return { command: java, binDirs: [dirname(java)], shimJar: await javaShimJar(java) };
  },

  args: (interpreter, spec) => [...jvmOptions(spec?.memoryMb), '-jar', interpreter.shimJar],

  // The JVM cannot dup2, and System.out and System.err lines must stay in order in the log.
  mergeStderr: true,

  runtimeVariables: async (spec) => ({ CLASSPATH: javaClasspath(spec) }),

  neutralVariables: () => ({}),

  // Environment and heap are fixed when a JVM starts: never adopt a spare.
  canAdopt: () => false,
};

export type JavaRuntimeOptions = Omit<ShimRuntimeOptions, 'prewarm'>;

export function javaRuntime(options: JavaRuntimeOptions = {}): ShimRuntimeAdapter {
  return new ShimRuntime(javaProfile, DEFAULT_JAVA, { ...options, prewarm: 0 });
}
