// Subjects: the registry (defineSubject, listSubjects), runSubject with the run's metadata, and the run's temp dir.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WRK_TIMEOUT } from './constants.ts';
import { cpuSpeedProbe, firstServerCpu, machineInfo } from './machine.ts';
import { writeResults } from './results.ts';
import type { BenchOptions, LoadParams, Subject, SubjectResult } from './types.ts';
import { wrkVersion } from './wrk.ts';

const subjects = new Map<string, Subject>();

export function defineSubject(subject: Subject): Subject {
  if (subjects.has(subject.name)) throw new Error(`bench subject ${subject.name} is defined twice`);
  subjects.set(subject.name, subject);
  return subject;
}

export function listSubjects(): Subject[] {
  return [...subjects.values()];
}

export async function runSubject(name: string, options: BenchOptions, tmpDir: string): Promise<SubjectResult> {
  const subject = subjects.get(name);
  if (!subject) throw new Error(`unknown bench subject ${name}; known: ${[...subjects.keys()].join(', ')}`);
  const log = (message: string): void => {
    process.stdout.write(`[${name}] ${message}\n`);
  };
  const subjectTmp = join(tmpDir, name);
  mkdirSync(subjectTmp, { recursive: true });
  const loadAvgStart = loadavg();
  const context = { options, tmpDir: subjectTmp, log };
  const serverCpu = firstServerCpu(options);
  const speedProbeStartMs = cpuSpeedProbe(context, serverCpu);
  const date = new Date().toISOString();
  const outcome = await subject.run(context);
  const speedProbeEndMs = cpuSpeedProbe(context, serverCpu);
  const result: SubjectResult = {
    subject: name,
    title: subject.title,
    command: options.command,
    date,
    machine: { ...machineInfo(), loadAvgStart, loadAvgEnd: loadavg(), speedProbeStartMs, speedProbeEndMs },
    ...(outcome.method === undefined ? { load: await loadParams(options) } : { method: outcome.method }),
    columns: outcome.columns,
    rows: outcome.rows,
    ratios: outcome.ratios,
    notes: outcome.notes ?? [],
  };
  writeResults(result);
  return result;
}

async function loadParams(options: BenchOptions): Promise<LoadParams> {
  return {
    tool: 'wrk',
    version: await wrkVersion(),
    connections: options.connections,
    threads: options.threads,
    durationS: options.durationS,
    warmupS: options.warmupS,
    rounds: options.rounds,
    timeout: WRK_TIMEOUT,
    script: 'bench/wrk/post-json.lua',
    serverCpus: options.serverCpus,
    loadCpus: options.loadCpus,
  };
}

/** A fresh temp dir for one run of the harness; `removeTmpDir` deletes it unless logs are kept. */
export function makeTmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'fngate-bench-'));
}

export function removeTmpDir(dir: string, keep: boolean): void {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
