/**
 * Renders a benchmark results file as a README-ready Markdown table. The harness writes the same text
 * to bench/results/<subject>.md; by hand:
 *
 *   node --import tsx bench/report.ts bench/results/http.json [more.json …]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Ratio, RowResult, SubjectResult } from './harness/types.ts';

const DASH = '—';

function formatNumber(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(ratio: Ratio): string {
  if (ratio.value === null) return `${DASH}${ratio.note ? ` (${ratio.note})` : ''}`;
  const unit = ratio.unit ?? '×';
  const text = unit === '×' ? `${ratio.value.toFixed(2)}×` : `${formatNumber(ratio.value, 2)} ${unit}`;
  return ratio.note ? `${text} (${ratio.note})` : text;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rowCells(result: SubjectResult, row: RowResult): string[] {
  const cells = result.columns.map((column) =>
    row.status === 'ok' ? formatNumber(row.metrics[column.key], column.digits) : DASH,
  );
  return [row.id, escapeCell(row.label), ...cells];
}

export function renderMarkdown(result: SubjectResult): string {
  const { machine, load } = result;
  const date = result.date.slice(0, 10);
  // Subjects without HTTP load (cold starts, memory) describe their own method instead.
  const how = load
    ? `${load.tool} ${load.version} with ${load.threads} thread(s) and ${load.connections} connections, ` +
      `${load.durationS} s measured after ${load.warmupS} s warm-up per row` +
      (load.rounds > 1 ? `, median of ${load.rounds} rounds` : '') +
      `; server pinned to CPU ${load.serverCpus}, ${load.tool} to CPU ${load.loadCpus}`
    : (result.method ?? '');
  const lines: string[] = [
    `### ${result.subject}: ${result.title}`,
    '',
    `Produced by \`${result.command}\` on ${date}: ${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}, ` +
      `${how}; load average ${machine.loadAvgStart.map((n) => n.toFixed(2)).join(' / ')} at start` +
      (Number.isFinite(machine.speedProbeStartMs) && Number.isFinite(machine.speedProbeEndMs)
        ? `; speed probe (sha256sum of 16 MiB on the server CPU) ${machine.speedProbeStartMs!.toFixed(0)} ms at start, ${machine.speedProbeEndMs!.toFixed(0)} ms at end.`
        : '.'),
    '',
    `| | ${['row', ...result.columns.map((c) => c.label)].join(' | ')} |`,
    `|---|---|${result.columns.map(() => '---:').join('|')}|`,
    ...result.rows.map((row) => `| ${rowCells(result, row).join(' | ')} |`),
    '',
  ];
  if (result.ratios.length > 0) {
    lines.push('| figure | value |', '|---|---:|', ...result.ratios.map((r) => `| ${escapeCell(r.label)} | ${escapeCell(formatRatio(r))} |`), '');
  }
  const notes = [
    ...result.rows.filter((row) => row.status !== 'ok').map((row) => `${row.id} unavailable: ${(row.reason ?? '').split('\n', 1)[0]}`),
    ...result.rows.flatMap((row) => row.warnings.map((warning) => `${row.id}: ${warning}`)),
    ...result.notes,
  ];
  if (notes.length > 0) lines.push(...notes.map((note) => `- ${escapeCell(note)}`), '');
  return `${lines.join('\n')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: node --import tsx bench/report.ts bench/results/<subject>.json …\n');
    process.exit(2);
  }
  for (const file of files) process.stdout.write(`${renderMarkdown(JSON.parse(readFileSync(file, 'utf8')) as SubjectResult)}\n`);
}
