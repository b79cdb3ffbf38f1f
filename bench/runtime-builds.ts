/**
 * Builds the compiled hellos the benchmarks run (`runtime-cold`, and the warm rows of `python-http`), into the
 * run's temp dir: the Go hello and its one-shot baseline, the Java hello and its baseline. A missing toolchain
 * gives `{ unavailable }` with the Debian package to install, not an error.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, javaShimJar } from '../runtimes/java/shim-build.ts';
// The tests build their Go fixtures the same way: one build environment for both.
import { goBuildEnv } from '../test/helpers/go.ts';
import type { BenchContext } from './harness.ts';

/** A cold Go build cache compiles net/rpc, encoding/json …: tens of seconds on two loaded cores. */
const BUILD_TIMEOUT_MS = 300_000;

export type Built = { dir: string } | { unavailable: string };

const run = promisify(execFile);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `go build` of `<goDir>/hello` and `<goDir>/bare` into `<tmp>/go/`: offline, no cgo, a writable build cache. */
export async function buildGo(ctx: BenchContext, goDir: string): Promise<Built> {
  const outDir = join(ctx.tmpDir, 'go');
  mkdirSync(outDir, { recursive: true });
  const env = goBuildEnv();
  try {
    await run('go', ['build', '-trimpath', '-o', `${outDir}/`, './hello', './bare'], { cwd: goDir, env, timeout: BUILD_TIMEOUT_MS });
    return { dir: outDir };
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    return { unavailable: code === 'ENOENT' ? 'go is not installed (Debian: golang-go)' : `go build failed: ${stderr?.trim() || message(error)}` };
  }
}

/** Compiles `<javaDir>/example/Hello.java` (against the shim's Context) and `bare/Main.java` with the javac next to the JVM fngate runs. */
export async function buildJava(ctx: BenchContext, javaDir: string): Promise<Built> {
  try {
    const found = await findOnPath('java');
    if (!found) return { unavailable: 'java is not on PATH (Debian: openjdk-17-jdk-headless)' };
    const java = await realpath(found);
    const shimJar = await javaShimJar(java);
    const outDir = join(ctx.tmpDir, 'java');
    const sources = [join(javaDir, 'example', 'Hello.java'), join(javaDir, 'bare', 'Main.java')];
    await run(join(dirname(java), 'javac'), ['-encoding', 'UTF-8', '-nowarn', '-d', outDir, '-cp', shimJar, ...sources], { timeout: BUILD_TIMEOUT_MS });
    return { dir: outDir };
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    return { unavailable: `the Java runtime or its compile failed: ${stderr?.trim() || message(error)}` };
  }
}
