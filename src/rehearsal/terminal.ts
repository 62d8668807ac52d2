/**
 * The rehearsal's terminal: a progress bar (citizens done of all) with the live summary beside it
 * (cli-progress, on stderr; on a terminal only — elsewhere a plain line every 10 s).
 */
import cliProgress from 'cli-progress';

export interface LiveFigures {
  done: number;
  total: number;
  waiting: number;
  admittedPerSecond: number;
  bookedPerSecond: number;
  p99: number;
  errors: number;
  t: number;
}

export function liveLine(f: LiveFigures): string {
  return `waiting ${f.waiting} | admitted/s ${f.admittedPerSecond.toFixed(0)} | booked/s ${f.bookedPerSecond.toFixed(0)} | p99 ${f.p99.toFixed(0)} ms | errors ${f.errors}`;
}

export function rehearsalProgress(enabled: boolean): { update: (f: LiveFigures) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  if (!process.stderr.isTTY) {
    let lastT = -Infinity;
    return {
      update: (f) => {
        if (f.t - lastT < 10) return;
        lastT = f.t;
        process.stderr.write(`rehearsal ${f.t.toFixed(0)} s: ${f.done}/${f.total} done | ${liveLine(f)}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar({ format: ' rehearsal [{bar}] {percentage}% | {value}/{total} done | {live}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (f) => {
      if (!started) {
        bar.start(f.total, f.done, { live: liveLine(f) });
        started = true;
      } else bar.update(f.done, { live: liveLine(f) });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
