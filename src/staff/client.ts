import type { StaffRole } from './staff.ts';

/**
 * `yeyak staff add --server URL`: adds a staff member through a running server's admin API
 * (POST /api/v1/admin/staff, operators only) instead of opening its store, which the server holds.
 */
export interface NewStaff {
  role: StaffRole;
  clinicId: string | null;
  name: string;
}

export interface AddedStaff {
  id: number;
  role: StaffRole;
  clinicId: string | null;
  name: string;
  token: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class StaffServerError extends Error {
  override name = 'StaffServerError';
}

export async function addStaffThroughServer(server: string, adminToken: string, input: NewStaff, fetchImpl: typeof fetch = fetch): Promise<AddedStaff> {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new StaffServerError(`--server must be a URL such as http://localhost:8080, got ${server}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new StaffServerError(`--server must be http:// or https://, got ${server}`);
  const url = new URL('/api/v1/admin/staff', base);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ role: input.role, name: input.name, ...(input.clinicId !== null ? { clinicId: input.clinicId } : {}) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    throw new StaffServerError(`cannot reach ${url.origin} (${e instanceof Error ? e.message : String(e)}): is the server running there?`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | AddedStaff | null;
  if (res.status !== 201 || body === null || !('token' in body)) {
    const err = body && 'error' in body ? body.error : undefined;
    const hint = res.status === 401 ? ' (use the admin token the server printed at start, or its YEYAK_ADMIN_TOKEN)' : '';
    throw new StaffServerError(`${url.origin} answered ${res.status} ${err?.code ?? ''}: ${err?.message ?? 'no answer'}${hint}`);
  }
  return body;
}

/** One argument quoted for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
