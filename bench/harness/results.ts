// A run's results: ratios between its rows, and writing bench/results/<subject>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown } from '../report.ts';
import { RESULTS_DIR } from './constants.ts';
import type { Ratio, RowResult, SubjectResult } from './types.ts';

export function writeResults(result: SubjectResult): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = join(RESULTS_DIR, `${result.subject}.json`);
  const md = join(RESULTS_DIR, `${result.subject}.md`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(result));
  return { json, md };
}

/** `numerator.metric / denominator.metric` when both rows ran; otherwise null and why. */
export function ratio(rows: RowResult[], numerator: string, denominator: string, metric: string, label?: string): Ratio {
  const text = label ?? `${numerator}/${denominator} ${metric}`;
  const value = (id: string): number | undefined => {
    const row = rows.find((r) => r.id === id);
    return row?.status === 'ok' ? row.metrics[metric] : undefined;
  };
  const n = value(numerator);
  const d = value(denominator);
  if (n === undefined || d === undefined) {
    const down = [numerator, denominator].filter((id) => value(id) === undefined);
    return { label: text, value: null, note: `row ${down.join(' and ')} unavailable` };
  }
  return d === 0 ? { label: text, value: null, note: `${denominator} ${metric} is 0` } : { label: text, value: n / d };
}
