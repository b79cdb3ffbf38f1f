import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { findOnPath, javaShimJar } from '../../runtimes/java/shim-build.ts';
import { compileJava, JAVA_FIXTURES } from '../helpers/java.ts';
import { CASES, runRuntimeCases } from '../runtime.cases.ts';
import { requireTool } from '../helpers/toolchain.ts';

// Each case is `example.Hello::mainHandler` compiled at set-up into a code folder of its own.
if (requireTool(t, 'javac', 'openjdk-17-jdk-headless')) {
  const root = await mkdtemp(join(tmpdir(), 'fngate-java-cases-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const shim = await javaShimJar(await realpath((await findOnPath('java'))!));
  await compileJava(
    shim,
    CASES.map((name) => ({ sourceDir: join(JAVA_FIXTURES, 'cases', name), outDir: join(root, name) })),
  );
  await runRuntimeCases(t, {
    runtime: 'Java17',
    fixtures: root,
    handler: 'example.Hello::mainHandler',
    // The suite's timeout case has a 1 s timeout, which is also its default initTimeout; a JVM on a
    // loaded two-core test machine may take longer than that to start.
    extra: { initTimeout: 10 },
    // The timeout case's first call includes the JVM's cold start (~0.15 s idle, over a second on a
    // loaded machine) before its 1 s timeout starts.
    timeoutSlackMs: 2000,
  });
}
