/**
 * Compiles the Java fixtures at test set-up. All javac runs (and jar packings) of a test file go through
 * one JVM (JavacBatch.java run as a source file), so set-up pays one JVM start, not one per fixture.
 * Handlers compile against the shim's com.qcloud.scf.runtime.Context, as users compile against SCF's.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const JAVA_FIXTURES = fileURLToPath(new URL('../fixtures/java', import.meta.url));
const BATCH = fileURLToPath(new URL('./JavacBatch.java', import.meta.url));
const COMPILE_TIMEOUT_MS = 240_000;

const run = promisify(execFile);

export type JavaJob =
  /** javac of every .java file under `sourceDir` into `outDir`. */
  | { sourceDir: string; outDir: string; classpath?: string[] }
  /** The classes under `classesDir` packed into `jar`. */
  | { jar: string; classesDir: string };

async function javaFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.java')).map((entry) => join(entry.parentPath, entry.name));
}

/** Run `jobs` in order; `shimJar` (the compiled shim, for Context) is on every class path. */
export async function compileJava(shimJar: string, jobs: JavaJob[]): Promise<void> {
  const args: string[] = [];
  for (const job of jobs) {
    if ('jar' in job) args.push('--jar', job.jar, job.classesDir, '--');
    else {
      const classpath = [shimJar, ...(job.classpath ?? [])].join(':');
      args.push('-encoding', 'UTF-8', '-nowarn', '-d', job.outDir, '-cp', classpath, ...(await javaFiles(job.sourceDir)), '--');
    }
  }
  try {
    await run('java', [BATCH, ...args], { timeout: COMPILE_TIMEOUT_MS });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`compiling the Java fixtures failed: ${stderr || stdout || error}`);
  }
}
