/**
 * `fngate serve --watch`: watches the project folder (fngate.yml, each function's code folder or zip,
 * layer folders, also those outside the folder), and on a change, once the edits have settled
 * (debounced), reloads the manifest and hands it to a ManifestReconciler. An edit that does not load
 * (bad YAML, an unknown key, a missing src) keeps what runs and logs one line saying why.
 *
 * Why chokidar and not `fs.watch(dir, { recursive: true })`: on Linux, Node 20's recursive watch walks the
 * tree asynchronously and misses events in folders made while it does (nodejs/node#48437), and a file
 * deleted under it can throw from inside the watcher (nodejs/node#52018); editors that save by rename and
 * zips rewritten in place need the re-watching chokidar does.
 */
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { loadConfig, type FunctionConfig, type GatewayConfig } from '../config.ts';
import type { ManifestReconciler } from '../lifecycle/contract.ts';
import { isEditorFile } from './fingerprint.ts';
import { functionKey } from '../registry.ts';

/** Quiet time after the last change before reloading: one save often writes several files. */
export const DEFAULT_DEBOUNCE_MS = 200;
/** Folders never watched, whatever their place: version control and editors' state. */
const IGNORED_NAMES = new Set(['.git', '.hg', '.svn', '.idea', '.vscode']);

export interface HotReloadOptions {
  /** What runs now (loaded from `root`). */
  config: GatewayConfig;
  reconciler: ManifestReconciler;
  logger: Logger;
  /** Folders never watched (the data dir, where zips are extracted and the store lives). */
  ignore: readonly string[];
  /** @default DEFAULT_DEBOUNCE_MS */
  debounceMs?: number;
  /** @default loadConfig */
  load?: (root: string) => GatewayConfig;
}

const within = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** The folders and files a configuration's functions are made of. */
function sourcesOf(fn: FunctionConfig): string[] {
  return [fn.src, ...fn.layers.map((layer) => layer.dir)];
}

export class HotReload {
  readonly #options: HotReloadOptions;
  readonly #root: string;
  #config: GatewayConfig;
  #watcher: FSWatcher | undefined;
  /** Sources outside the project folder, watched on their own. */
  #outside = new Set<string>();
  #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: HotReloadOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#root = options.config.root;
  }

  /** Resolves once the watcher is ready: edits made after that are seen. */
  async start(): Promise<void> {
    const ignored = (path: string): boolean => this.#options.ignore.some((dir) => within(path, dir)) || this.#inIgnoredFolder(path);
    this.#outside = new Set(this.#outsideSources(this.#config));
    const watcher = watch([this.#root, ...this.#outside], { ignoreInitial: true, ignored });
    this.#watcher = watcher;
    watcher.on('all', (_event, path) => this.#noteChange(path));
    watcher.on('error', (error) => this.#options.logger.warn({ err: error }, 'hot reload: the file watcher reported an error'));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Stops watching; a reload under way finishes first. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#watcher?.close();
    await this.#running;
  }

  /** Below the watched folder it is in (the folders above are the user's business, whatever their names). */
  #inIgnoredFolder(path: string): boolean {
    const base = within(path, this.#root) ? this.#root : [...this.#outside].find((source) => within(path, source));
    if (base === undefined) return false;
    const parts = relative(base, path).split(sep);
    return parts.some((part) => IGNORED_NAMES.has(part)) || isEditorFile(parts[parts.length - 1]!);
  }

  #outsideSources(config: GatewayConfig): string[] {
    return [...new Set(config.functions.flatMap(sourcesOf))].filter((path) => !within(path, this.#root));
  }

  #noteChange(path: string): void {
    if (this.#closed) return;
    this.#changed.add(path);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#reloadSoon(), this.#options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  /** One reload at a time; changes seen during one start another when it ends. */
  #reloadSoon(): void {
    if (this.#running || this.#closed) return;
    const changed = this.#changed;
    this.#changed = new Set();
    this.#running = this.#reload(changed).finally(() => {
      this.#running = undefined;
      if (this.#changed.size > 0) this.#reloadSoon();
    });
  }

  async #reload(changed: ReadonlySet<string>): Promise<void> {
    const { logger } = this.#options;
    let config: GatewayConfig;
    try {
      config = (this.#options.load ?? loadConfig)(this.#root);
    } catch (error) {
      logger.error(`hot reload: the change was not applied, the functions keep running as they were: ${oneLine(error)}`);
      return;
    }
    const touched = new Set<string>();
    for (const fn of config.functions) {
      const sources = sourcesOf(fn);
      if ([...changed].some((path) => sources.some((source) => within(path, source)))) touched.add(functionKey(fn.namespace, fn.name));
    }
    try {
      const report = await this.#options.reconciler.reconcile(config, touched);
      if (report.deployed.length > 0 || report.removed.length > 0) {
        logger.info({ deployed: report.deployed, removed: report.removed }, `hot reload: deployed ${report.deployed.join(', ') || '-'}; removed ${report.removed.join(', ') || '-'}`);
      }
    } catch (error) {
      logger.error(`hot reload: ${oneLine(error)}`);
    }
    this.#config = config;
    this.#rewatch(config);
  }

  /** Sources that moved outside the project folder are watched; those no longer used are not. */
  #rewatch(config: GatewayConfig): void {
    const next = new Set(this.#outsideSources(config));
    const added = [...next].filter((path) => !this.#outside.has(path));
    const gone = [...this.#outside].filter((path) => !next.has(path));
    if (added.length > 0) this.#watcher?.add(added);
    if (gone.length > 0) this.#watcher?.unwatch(gone);
    this.#outside = next;
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').join('; ');
}
