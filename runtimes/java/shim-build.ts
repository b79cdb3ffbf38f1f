/**
 * The Java shim (shim/*.java) is fngate's own source, compiled with the host's javac on first use and
 * packed as a jar (its manifest names the main class and opens java.io, see Bootstrap.descriptor) into a
 * cache folder named after a hash of the sources and the JVM, so it compiles once per machine and
 * version of fngate and every later instance and run reuses it. Concurrent builders (two gateways, two
 * test files) each compile into a temp folder and rename it into place: the first rename wins, the
 * others drop their copy. The cache lives in the shared temp folder, so a folder is only trusted if this
 * user owns it and nobody else can write it; otherwise a private copy is compiled.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';

export const JAVA_SHIM_SOURCES = fileURLToPath(new URL('./shim/', import.meta.url));
/** The class the JVM runs. */
export const JAVA_SHIM_MAIN = 'fngate.shim.Bootstrap';
/** The shim jar's name inside its cache folder. */
export const JAVA_SHIM_JAR = 'fngate-shim.jar';
/**
 * `Add-Opens` is how an executable jar opens a JDK package to itself (Java 9+; Java 8 ignores it): the
 * shim needs FileDescriptor's private constructor to use its inherited channel descriptors.
 */
const MANIFEST = `Manifest-Version: 1.0\r\nMain-Class: fngate.shim.Bootstrap\r\nAdd-Opens: java.base/java.io\r\n\r\n`;
/** What to install when no JDK is found. */
export const JDK_PACKAGE = 'openjdk-17-jdk-headless';
/** javac of a handful of files: ~3 s on one core, far longer on a loaded machine. */
const COMPILE_TIMEOUT_MS = 120_000;

const run = promisify(execFile);

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** `name` on the gateway's PATH, as a shell would find it. */
export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

/** A cache folder another user could have planted or can still change is not used. */
async function isTrusted(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return false;
  const uid = process.getuid?.();
  return (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
}

/** Compile `sources` and pack the classes as `<outDir>/fngate-shim.jar`. */
async function build(javac: string, sources: string[], outDir: string): Promise<void> {
  const classes = join(outDir, 'classes');
  try {
    await run(javac, ['-encoding', 'UTF-8', '-nowarn', '-d', classes, ...sources], { timeout: COMPILE_TIMEOUT_MS });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(`compiling fngate's Java shim failed: ${detail}`);
  }
  const entries: Record<string, Uint8Array> = { 'META-INF/MANIFEST.MF': Buffer.from(MANIFEST) };
  for (const entry of await readdir(classes, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    entries[relative(classes, path).split('\\').join('/')] = await readFile(path);
  }
  await writeFile(join(outDir, JAVA_SHIM_JAR), zipSync(entries, { level: 0 }));
  await rm(classes, { recursive: true, force: true });
}

/**
 * The shim jar for the JVM at `java` (a resolved path), compiling it if needed with the javac next to it
 * (same JDK, so the class files suit the JVM) or else the one on PATH.
 */
export async function javaShimJar(java: string): Promise<string> {
  return join(await shimFolder(java), JAVA_SHIM_JAR);
}

async function shimFolder(java: string): Promise<string> {
  const names = (await readdir(JAVA_SHIM_SOURCES)).filter((name) => name.endsWith('.java')).sort();
  const sources = names.map((name) => join(JAVA_SHIM_SOURCES, name));
  const hash = createHash('sha256').update(java);
  for (const [index, source] of sources.entries()) hash.update(`\0${names[index]}\0`).update(await readFile(source));
  const dir = join(tmpdir(), `fngate-java-shim-${hash.digest('hex').slice(0, 16)}`);
  if (await isTrusted(dir)) return dir;

  const sibling = join(dirname(java), 'javac');
  const javac = (await isExecutable(sibling)) ? sibling : await findOnPath('javac');
  if (!javac) throw new Error(`javac not found: the Java runtime compiles its shim once; install a JDK (apt-get install ${JDK_PACKAGE})`);
  const building = await mkdtemp(`${dir}.tmp-`);
  try {
    await build(javac, sources, building);
    await chmod(building, 0o755);
    try {
      await rename(building, dir);
      return dir;
    } catch {
      // Another builder renamed first (the target exists); theirs is the same build.
      if (await isTrusted(dir)) return dir;
    }
    // The shared name is taken by a folder we cannot trust: keep this private build for this process.
    const privateDir = await mkdtemp(join(tmpdir(), 'fngate-java-shim-private-'));
    await rename(building, join(privateDir, 'shim'));
    return join(privateDir, 'shim');
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}
