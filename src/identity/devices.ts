import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { DEVICE_COOKIE } from '../waiting-room/routes.ts';
import { isDeviceId } from '../waiting-room/service.ts';

/**
 * One device at a time (the August 2021 rule): after a person verifies on a device, every other
 * device of that person is refused for `lockMs` (10 min by default) — unless the first logs out.
 *
 * Taken and checked by ONE conditional UPDATE: the lock is free, expired, or already this
 * device's → it becomes this device's until now + lockMs; otherwise no row, and the caller is
 * refused. Two devices verifying at the same instant are serialised by the row lock: exactly one
 * wins. Nothing is read and then written in code.
 */
export class DeviceLock {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    readonly lockMs: number,
  ) {}

  /** Takes (or renews) the person's lock for `device`; throws OTHER_DEVICE_ACTIVE while another holds it. */
  async take(personId: number, device: string): Promise<void> {
    if (this.lockMs <= 0) return;
    const now = this.clock.nowMs();
    const taken = await this.db.query<{ id: number }>(
      `UPDATE person SET active_device = $2, device_lock_until = $3
       WHERE id = $1 AND (device_lock_until IS NULL OR device_lock_until <= $4 OR active_device = $2)
       RETURNING id`,
      [personId, device, new Date(now + this.lockMs).toISOString(), new Date(now).toISOString()],
    );
    if (taken.rows.length > 0) return;
    // Refused. Read the unlock time for the message only: the decision was the UPDATE's.
    const held = await this.db.query<{ device_lock_until: Date | string | null }>('SELECT device_lock_until FROM person WHERE id = $1', [personId]);
    const until = held.rows[0]?.device_lock_until;
    const unlockAt = until ? new Date(until).toISOString() : new Date(now + this.lockMs).toISOString();
    throw new YeyakError('YEYAK_E_OTHER_DEVICE_ACTIVE', undefined, {
      unlockAt,
      retryAfterS: Math.max(1, Math.ceil((new Date(unlockAt).getTime() - now) / 1000)),
    });
  }

  /** Logout: frees the person's lock if this device holds it (a conditional UPDATE again). */
  async release(personId: number, device: string | undefined): Promise<void> {
    if (device === undefined) return;
    await this.db.query(
      'UPDATE person SET active_device = NULL, device_lock_until = NULL WHERE id = $1 AND active_device = $2',
      [personId, device],
    );
  }
}

/**
 * The device of a verification: the Yeyak-Device header or the yeyak_device cookie when it is a
 * well-formed id; otherwise one is minted — derived (keyed hash) from the client's address and
 * User-Agent, so that a client which drops cookies is still the same device on its next try and
 * is not locked out by itself; a different browser or phone gets a different id. `minted` tells
 * the caller to set the cookie.
 */
export function deviceOf(request: FastifyRequest, secret: string): { device: string; minted: boolean } {
  const header = request.headers['yeyak-device'];
  const given = (typeof header === 'string' ? header : undefined) ?? request.cookies?.[DEVICE_COOKIE];
  if (isDeviceId(given)) return { device: given, minted: false };
  const ua = request.headers['user-agent'] ?? '';
  const device = createHmac('sha256', secret).update('device.v1.').update(`${request.ip}\n${ua}`).digest('base64url').slice(0, 22);
  return { device, minted: true };
}
