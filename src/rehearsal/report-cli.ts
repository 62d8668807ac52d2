/**
 * Re-renders a rehearsal's HTML report from its saved JSON summary (after a change to report.ts,
 * or for a summary copied from another machine):
 *   node bin/run-ts.js src/rehearsal/report-cli.ts summary.json > report.html
 */
import { readFileSync } from 'node:fs';
import { renderReport } from './report.ts';
import type { RehearsalSummary } from './summary.ts';

const ARRAYS = ['endpoints', 'bots', 'timeline', 'invariants'] as const;
const OBJECTS = ['settings', 'cpu', 'citizens', 'bookingsPerSecond', 'errorsByCode', 'eta'] as const;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const [path] = process.argv.slice(2);
if (!path) fail('usage: node bin/run-ts.js src/rehearsal/report-cli.ts <summary.json> > report.html');
let summary: RehearsalSummary;
try {
  summary = JSON.parse(readFileSync(path, 'utf8')) as RehearsalSummary;
} catch (e) {
  fail(`${path}: ${(e as Error).message}`);
}
if (summary?.version !== 1) fail(`${path}: not a rehearsal summary of version 1 (version ${JSON.stringify(summary?.version)})`);
const missing = [...ARRAYS.filter((k) => !Array.isArray(summary[k])), ...OBJECTS.filter((k) => typeof summary[k] !== 'object' || summary[k] === null)];
if (missing.length) fail(`${path}: a summary without ${missing.join(', ')} (src/rehearsal/summary.ts)`);
process.stdout.write(renderReport(summary));
