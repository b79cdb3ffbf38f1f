/**
 * Turns a configured `src` into a code folder: folders are used in place; a .zip is extracted once into
 * the code store (`<data dir>/code/<sha256>`, checked and bounded: code-store/zip.ts), which is what SCF
 * calls pulling the code.
 */
import { CodeStore } from './code-store/store.ts';
import type { FunctionConfig } from './config.ts';

export async function prepareCode(config: FunctionConfig, dataDir: string): Promise<string> {
  if (!config.src.endsWith('.zip')) return config.src;
  return (await new CodeStore({ dataDir }).putZipFile(config.src, `function ${config.name}`)).dir;
}
