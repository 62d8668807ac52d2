import { spawn } from 'node:child_process';

/** Runs the CLI in a child process with only the given YEYAK_ variables (no DATABASE_URL, REDIS_URL). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(YEYAK_.*|DATABASE_URL|REDIS_URL|PORT|HOST|NODE_ENV)$/.test(k)));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/yeyak.js', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
