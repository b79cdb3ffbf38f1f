/** tap's fixture directories, removed only after the test's teardowns have run. */
import type { Test } from 'tap';

/**
 * `testDir(t, content)`, except that the directory outlives the test's teardowns. tap removes a testdir in
 * the end-of-test hook it installs at the first `testdir` call, before the teardown hook installed at the
 * first `teardown` call; a gateway closed in a teardown could still be writing into its data dir while the
 * removal ran (ENOTEMPTY), and the failed removal then skipped the teardowns, leaving the gateway open.
 * Registering a teardown first puts the removal after every teardown.
 */
export function testDir(t: Test, content: Parameters<Test['testdir']>[0] = {}): string {
  t.teardown(() => {});
  return t.testdir(content);
}
