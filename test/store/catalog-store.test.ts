import t from 'tap';
import { openStore } from '../../store/index.ts';
import { runCatalogCases } from './catalog.cases.ts';
import { RecordingLogger } from './helpers.ts';

runCatalogCases(t, async (dataDir) => {
  const store = await openStore({ dataDir, logger: new RecordingLogger() });
  return { catalog: store.catalog, close: () => store.close() };
});
