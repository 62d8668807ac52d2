/**
 * Re-renders a rehearsal's HTML report from its saved JSON summary:
 *   node bin/run-ts.js src/rehearsal/report-cli.ts summary.json > report.html
 */
import { readFileSync } from 'node:fs';
import { renderReport } from './report.ts';
import type { RehearsalSummary } from './summary.ts';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: node bin/run-ts.js src/rehearsal/report-cli.ts <summary.json> > report.html');
  process.exit(2);
}
const summary = JSON.parse(readFileSync(path, 'utf8')) as RehearsalSummary;
if (summary.version !== 1) {
  console.error(`${path}: not a rehearsal summary of version 1 (version ${JSON.stringify(summary.version)})`);
  process.exit(2);
}
process.stdout.write(renderReport(summary));
