/**
 * Red-team finding (issue #7): a wrong DATABASE_URL answered with the driver's words alone
 * (`connect ECONNREFUSED …`, `Invalid URL`). The start-up error names the setting and what to check.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ensureDatabase } from '../../src/core/ensure-database.ts';

/** A loopback port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ensureDatabase: a database that cannot be used says which and what to check', () => {
  it('nothing listening → names DATABASE_URL, the server and the checks; no password', async () => {
    const port = await closedPort();
    const attempt = ensureDatabase(`postgres://someone:hunter2secret@127.0.0.1:${port}/yeyak`, () => undefined);
    await expect(attempt).rejects.toThrow(new RegExp(`yeyak on 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\).*is the server running`));
    await expect(attempt).rejects.not.toThrow(/hunter2secret/);
  });

  it('not a URL → says what one looks like', async () => {
    await expect(ensureDatabase('postgres://no such host', () => undefined)).rejects.toThrow(/DATABASE_URL is not a valid URL \(postgres:\/\/user@host:port\/database\)/);
  });
});
