/**
 * CPU seconds: the rehearsal's own (process.cpuUsage) and the server's, from /proc/PID/stat
 * (utime + stime, in clock ticks). A local target's processes are found from its port: the
 * listening socket's inode in /proc/net/tcp{,6}, then the processes holding it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds used so far by `pid` (and its threads), or null when unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** The sum over `pids` (null when none could be read). */
export function cpuSecondsOf(pids: number[]): number | null {
  let sum = 0;
  let any = false;
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s !== null) {
      sum += s;
      any = true;
    }
  }
  return any ? sum : null;
}

/** Processes listening on local TCP `port` (empty when none found or /proc is unreadable). */
export function pidsListeningOn(port: number): number[] {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      // st 0A = LISTEN
      if (!local || cols[3] !== '0A') continue;
      if (parseInt(local.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  let procs: string[] = [];
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of procs) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1] as string)) {
        pids.push(Number(pid));
        break;
      }
    }
  }
  return pids;
}

/** A local target's port (loopback hosts only), else null. */
export function localPort(target: string): number | null {
  const u = new URL(target);
  if (!['localhost', '127.0.0.1', '[::1]', '::1'].includes(u.hostname)) return null;
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}
