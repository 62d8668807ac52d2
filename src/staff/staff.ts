import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';

export const staffRoles = ['operator', 'clinic', 'agent'] as const;
export type StaffRole = (typeof staffRoles)[number];

/** A resolved staff credential. id null: YEYAK_ADMIN_TOKEN (an operator with no row). */
export interface StaffMember {
  readonly id: number | null;
  readonly role: StaffRole;
  readonly clinicId: string | null;
  readonly name: string;
}

const TOKEN_PREFIX = 'yks_';
const TOKEN_LENGTH_MAX = 256;

/** Tokens are 192 random bits: SHA-256 is enough (no slow hash needed), and lookups are by hash. */
export function hashStaffToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Adds a staff member; the token is returned once and stored only as its hash. A clinic member's
 * clinic must exist: one conditional insert (no row: 404 YEYAK_E_CLINIC_NOT_FOUND).
 */
export async function addStaff(
  q: Queryable,
  input: { role: StaffRole; clinicId: string | null; name: string },
  now: Date,
): Promise<{ staff: StaffMember; token: string }> {
  if ((input.role === 'clinic') !== (input.clinicId !== null)) {
    throw new YeyakError('YEYAK_E_VALIDATION', 'clinicId is required for the clinic role, and only for it');
  }
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const r = await q.query<{ id: number }>(
    `INSERT INTO staff (role, clinic_id, name, token_hash, created_at)
     SELECT $1, $2::text, $3, $4, $5 WHERE $2::text IS NULL OR EXISTS (SELECT 1 FROM clinic WHERE id = $2::text)
     RETURNING id`,
    [input.role, input.clinicId, input.name, hashStaffToken(token), now.toISOString()],
  );
  const id = r.rows[0]?.id;
  if (id === undefined) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND', `No clinic ${String(input.clinicId)}.`);
  return { staff: { id: Number(id), role: input.role, clinicId: input.clinicId, name: input.name }, token };
}

const ADMIN: StaffMember = Object.freeze({ id: null, role: 'operator', clinicId: null, name: 'YEYAK_ADMIN_TOKEN' });

/** Resolves a bearer token to a staff member: YEYAK_ADMIN_TOKEN (operator), else a live staff row. */
export class StaffDirectory {
  private readonly adminToken: Buffer;
  /** SHA-256 (hex) of YEYAK_ADMIN_TOKEN, to check what a sign-in was bound to; empty when unset. */
  private readonly adminTokenHash: Buffer;

  constructor(
    private readonly db: Queryable,
    adminToken: string,
  ) {
    this.adminToken = Buffer.from(adminToken);
    this.adminTokenHash = Buffer.from(adminToken ? hashStaffToken(adminToken) : '');
  }

  async resolve(token: string): Promise<StaffMember | null> {
    if (!token || token.length > TOKEN_LENGTH_MAX) return null;
    if (sameBytes(Buffer.from(token), this.adminToken)) return ADMIN;
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    return this.liveRow('token_hash = $1', [hashStaffToken(token)]);
  }

  /**
   * The staff member a sign-in was bound to (staff/session.ts), while that credential stands:
   * YEYAK_ADMIN_TOKEN still hashes to `tokenHash` (id null), or the row still holds that token and
   * is not disabled. Else null.
   */
  async resolveBound(id: number | null, tokenHash: string): Promise<StaffMember | null> {
    if (id === null) return sameBytes(Buffer.from(tokenHash), this.adminTokenHash) ? ADMIN : null;
    return this.liveRow('id = $1 AND token_hash = $2', [id, tokenHash]);
  }

  private async liveRow(where: string, params: unknown[]): Promise<StaffMember | null> {
    const r = await this.db.query<{ id: number; role: StaffRole; clinic_id: string | null; name: string }>(
      `SELECT id, role, clinic_id, name FROM staff WHERE ${where} AND disabled_at IS NULL`,
      params,
    );
    const row = r.rows[0];
    return row ? { id: Number(row.id), role: row.role, clinicId: row.clinic_id, name: row.name } : null;
  }
}

/** Constant-time equality; an empty expected value matches nothing. */
function sameBytes(given: Buffer, expected: Buffer): boolean {
  return expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
}
