import cliProgress from 'cli-progress';
import type { SeedStep } from '../scenarios/seed.ts';

/**
 * The seeding progress bar of `yeyak seed` and `yeyak serve` (cli-progress, on stderr; it draws
 * only on a terminal). One bar per step; `stop()` ends the last one.
 */
export function seedProgressBar(): { onProgress: (step: SeedStep, done: number, total: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: ' {step} [{bar}] {percentage}% | {value}/{total}', stream: process.stderr }, cliProgress.Presets.shades_classic);
  let current = '';
  return {
    onProgress: (step, done, total) => {
      if (step !== current) {
        if (current) bar.stop();
        current = step;
        bar.start(total, done, { step: step.padEnd(8) });
      } else bar.update(done, { step: step.padEnd(8) });
    },
    stop: () => {
      if (current) bar.stop();
      current = '';
    },
  };
}
