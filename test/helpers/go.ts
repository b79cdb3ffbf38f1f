/**
 * Builds the Go programs of test/fixtures/go once per test file: offline (no module downloads), without
 * cgo (no C compiler needed), with a writable build cache even where HOME is not writable.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const GO_FIXTURES = fileURLToPath(new URL('../fixtures/go', import.meta.url));
/** A cold build cache compiles net/rpc, encoding/json … first: tens of seconds on two cores. */
export const GO_BUILD_TIMEOUT_MS = 240_000;

const run = promisify(execFile);

function isWritable(dir: string | undefined): boolean {
  if (!dir) return false;
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Go's build environment: offline, no cgo, a cache that can be written. */
export function goBuildEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off' };
  if (!isWritable(process.env.HOME)) {
    env.GOCACHE ??= join(tmpdir(), 'fngate-go-cache');
    env.GOPATH ??= join(tmpdir(), 'fngate-gopath');
  }
  return env;
}

/**
 * `go build -o <outDir>/ <packages>` in test/fixtures/go: one binary per main package, named after its
 * folder. One command for all of them, so the shared packages compile once and links run in parallel.
 */
export async function buildGoPrograms(packages: string[], outDir: string): Promise<void> {
  try {
    await run('go', ['build', '-trimpath', '-o', `${outDir}/`, ...packages], {
      cwd: GO_FIXTURES,
      env: goBuildEnv(),
      timeout: GO_BUILD_TIMEOUT_MS,
    });
  } catch (error) {
    throw new Error(`go build failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
}
