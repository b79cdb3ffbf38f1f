/**
 * What every CatalogStore must do (store/types.ts): a backend's test file opens its store and runs these.
 * `open(dataDir)` opens (or reopens) the store on that folder; `close` ends it.
 */
import type { CatalogFunction, CatalogStore } from '../../store/index.ts';
import type { Tap } from './helpers.ts';
import { testDir } from '../helpers/testdir.ts';

export interface OpenedCatalog {
  catalog: CatalogStore;
  close(): Promise<void>;
}

const SHA = 'a'.repeat(64);

export function functionRow(name: string, overrides: Partial<CatalogFunction> = {}): CatalogFunction {
  return {
    namespace: 'default',
    name,
    origin: 'api',
    config: { name, memoryMb: 128 },
    code: { sha256: SHA, size: 10 },
    apiChanged: false,
    addedAt: 1000,
    modifiedAt: 1000,
    ...overrides,
  };
}

export function runCatalogCases(tap: Tap, open: (dataDir: string) => Promise<OpenedCatalog>): void {
  tap.test('catalog: namespaces round-trip and delete', async (t) => {
    const { catalog, close } = await open(testDir(t));
    t.teardown(close);
    await catalog.putNamespace({ name: 'staging', description: 'pre-prod', addedAt: 1, modifiedAt: 2 });
    await catalog.putNamespace({ name: 'alpha', description: '', addedAt: 3, modifiedAt: 3 });
    t.same(catalog.listNamespaces().map((row) => row.name), ['alpha', 'staging'], 'by name');
    t.same(catalog.getNamespace('staging'), { name: 'staging', description: 'pre-prod', addedAt: 1, modifiedAt: 2 });
    await catalog.deleteNamespace('staging');
    t.equal(catalog.getNamespace('staging'), undefined);
  });

  tap.test('catalog: functions round-trip, a folder used in place keeps its path, update keeps the version counter', async (t) => {
    const { catalog, close } = await open(testDir(t));
    t.teardown(close);
    await catalog.putFunction(functionRow('hello', { config: { name: 'hello', environment: { A: '1' } } }));
    await catalog.putFunction(functionRow('declared', { origin: 'manifest', code: { sha256: '', size: 0, dir: '/srv/app/declared' } }));
    t.same(catalog.getFunction('default', 'hello')?.config, { name: 'hello', environment: { A: '1' } });
    t.same(catalog.getFunction('default', 'declared')?.code, { sha256: '', size: 0, dir: '/srv/app/declared' });
    t.equal(catalog.getFunction('default', 'declared')?.origin, 'manifest');
    const first = await catalog.addVersion({ namespace: 'default', functionName: 'hello', description: 'one', config: { v: 1 }, code: { sha256: SHA, size: 10 }, addedAt: 5 });
    t.equal(first.version, 1);
    await catalog.putFunction(functionRow('hello', { apiChanged: true, modifiedAt: 9 }));
    const second = await catalog.addVersion({ namespace: 'default', functionName: 'hello', description: 'two', config: { v: 2 }, code: { sha256: SHA, size: 10 }, addedAt: 6 });
    t.equal(second.version, 2, 'replacing $LATEST did not reset the numbering');
    t.equal(catalog.getFunction('default', 'hello')?.apiChanged, true);
    t.same(catalog.listFunctions('default').map((row) => row.name), ['declared', 'hello']);
    t.same(catalog.listFunctions('other'), []);
  });

  tap.test('catalog: version numbers are never reused after a deletion; deleting a function takes its versions and aliases', async (t) => {
    const { catalog, close } = await open(testDir(t));
    t.teardown(close);
    await catalog.putFunction(functionRow('hello'));
    const version = (n: number) => ({ namespace: 'default', functionName: 'hello', description: `v${n}`, config: { n }, code: { sha256: SHA, size: n }, addedAt: n });
    await catalog.addVersion(version(1));
    await catalog.addVersion(version(2));
    await catalog.deleteVersion('default', 'hello', 2);
    t.equal((await catalog.addVersion(version(3))).version, 3);
    t.same(catalog.listVersions('default', 'hello').map((row) => row.version), [1, 3]);
    t.same(catalog.getVersion('default', 'hello', 3)?.config, { n: 3 });
    await catalog.putAlias({ namespace: 'default', functionName: 'hello', name: 'prod', version: '1', additionalVersionWeights: [{ version: '3', weight: 0.25 }], description: '', addedAt: 1, modifiedAt: 1 });
    t.same(catalog.getAlias('default', 'hello', 'prod')?.additionalVersionWeights, [{ version: '3', weight: 0.25 }]);
    await catalog.deleteFunction('default', 'hello');
    t.equal(catalog.getFunction('default', 'hello'), undefined);
    t.same(catalog.listVersions('default', 'hello'), []);
    t.same(catalog.listAliases('default', 'hello'), []);
    await t.rejects(catalog.addVersion(version(4)), 'no version of a function that is not there');
  });

  tap.test('catalog: layer versions are numbered per layer and never reused', async (t) => {
    const { catalog, close } = await open(testDir(t));
    t.teardown(close);
    const layer = (name: string) => ({ name, description: '', compatibleRuntimes: ['Nodejs18.15'], code: { sha256: SHA, size: 1 }, addedAt: 1 });
    t.equal((await catalog.addLayerVersion(layer('common'))).version, 1);
    t.equal((await catalog.addLayerVersion(layer('common'))).version, 2);
    t.equal((await catalog.addLayerVersion(layer('other'))).version, 1);
    await catalog.deleteLayerVersion('common', 2);
    await catalog.deleteLayerVersion('common', 1);
    t.equal((await catalog.addLayerVersion(layer('common'))).version, 3);
    t.same(catalog.listLayerVersions().map((row) => `${row.name}@${row.version}`), ['common@3', 'other@1']);
    t.same(catalog.getLayerVersion('common', 3)?.compatibleRuntimes, ['Nodejs18.15']);
  });

  tap.test('catalog: what a write resolved with is there after a reopen', async (t) => {
    const dataDir = testDir(t);
    const first = await open(dataDir);
    await first.catalog.putNamespace({ name: 'kept', description: '', addedAt: 1, modifiedAt: 1 });
    await first.catalog.putFunction(functionRow('kept'));
    await first.catalog.addVersion({ namespace: 'default', functionName: 'kept', description: '', config: {}, code: { sha256: SHA, size: 1 }, addedAt: 1 });
    await first.close();
    const second = await open(dataDir);
    t.teardown(second.close);
    t.ok(second.catalog.getNamespace('kept'));
    t.ok(second.catalog.getFunction('default', 'kept'));
    t.equal((await second.catalog.addVersion({ namespace: 'default', functionName: 'kept', description: '', config: {}, code: { sha256: SHA, size: 1 }, addedAt: 2 })).version, 2);
  });
}
