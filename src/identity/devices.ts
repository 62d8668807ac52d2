import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';

/**
 * The device concept, in one place: its cookie and header, the id's format, its signature, and
 * how a request's device is read. Everything else (waiting room, booking, verification) asks here.
 *
 * A device id is minted by the server, never chosen by the client: 16 random bytes and a MAC of
 * them (HMAC-SHA256 truncated to 16 bytes, keyed from the session secret), base64url — 44
 * characters. An id the server did not sign is not a device: at join and at verification it is
 * ignored and a fresh one minted; on a booking write it is refused.
 */
export const DEVICE_COOKIE = 'yeyak_device';
export const DEVICE_HEADER = 'yeyak-device';
export const DEVICE_COOKIE_MAX_AGE_S = 7 * 24 * 3600; // a week: a phone stays one device
const PART_BYTES = 16;
const PART_CHARS = 22; // base64url of 16 bytes
const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{44}$/;

/** Shape only (44 base64url characters): whether the server signed it is `DeviceIds.isGenuine`. */
export function isDeviceIdShaped(s: unknown): s is string {
  return typeof s === 'string' && DEVICE_ID_PATTERN.test(s);
}

export class DeviceIds {
  private readonly key: Buffer;

  constructor(secret: string) {
    // Its own key, derived from the session secret: a device MAC can never double as another token's.
    this.key = Buffer.from(hkdfSync('sha256', secret, 'yeyak', 'yeyak device id v1', 32));
  }

  /** A new device: random part + its MAC. */
  mint(): string {
    return this.seal(randomBytes(PART_BYTES).toString('base64url'));
  }

  /**
   * The device of a client that sends none: its random part is a keyed hash of address and
   * User-Agent, so a client that drops cookies is the same device on its next try; signed as any.
   */
  derive(ip: string, userAgent: string): string {
    const part = createHmac('sha256', this.key).update('derive\n').update(`${ip}\n${userAgent}`).digest().subarray(0, PART_BYTES);
    return this.seal(part.toString('base64url'));
  }

  /** True only for an id this server minted (constant-time MAC check). */
  isGenuine(id: unknown): id is string {
    if (!isDeviceIdShaped(id)) return false;
    const given = Buffer.from(id.slice(PART_CHARS), 'base64url');
    const expected = this.mac(id.slice(0, PART_CHARS));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private seal(part: string): string {
    return `${part}${this.mac(part).toString('base64url')}`;
  }

  private mac(part: string): Buffer {
    return createHmac('sha256', this.key).update('mac\n').update(part).digest().subarray(0, PART_BYTES);
  }
}

/** What a request says about its device: nothing, a genuine id, or an id the server never signed. */
export type PresentedDevice = { kind: 'none' } | { kind: 'genuine'; device: string } | { kind: 'forged' };

/** Reads the Yeyak-Device header (apps), else the yeyak_device cookie (the web page). */
export function presentedDevice(request: FastifyRequest, ids: DeviceIds): PresentedDevice {
  const header = request.headers[DEVICE_HEADER];
  const given = (typeof header === 'string' ? header : undefined) ?? request.cookies?.[DEVICE_COOKIE];
  if (given === undefined || given === '') return { kind: 'none' };
  return ids.isGenuine(given) ? { kind: 'genuine', device: given } : { kind: 'forged' };
}

/** The part of a session this module needs: the device it was verified on. */
interface DeviceBound {
  readonly device?: string;
}

/**
 * The device of a session-authenticated write (booking POST/PATCH/DELETE): a request with no
 * device (a bearer API client) is the session's own device; one with a forged id, or with a
 * genuine id of another device, is refused (403 YEYAK_E_DEVICE_MISMATCH).
 */
export function deviceOfSessionWrite(request: FastifyRequest, ids: DeviceIds, session: DeviceBound): string | undefined {
  const presented = presentedDevice(request, ids);
  if (presented.kind === 'none') return session.device;
  if (presented.kind === 'forged' || presented.device !== session.device) throw new YeyakError('YEYAK_E_DEVICE_MISMATCH');
  return presented.device;
}

/**
 * The device of a waiting-room request (join, status, identity start with a pass). With a
 * session: the session's device — a forged id is ignored, a genuine id of another device is
 * refused on a write (403 DEVICE_MISMATCH). Without one: the genuine id presented, else a freshly
 * minted one (`minted`: the caller sets the cookie).
 */
export function deviceOfHolder(request: FastifyRequest, ids: DeviceIds, session: DeviceBound | null, write: boolean): { device: string; minted: boolean } {
  const presented = presentedDevice(request, ids);
  if (session?.device !== undefined) {
    if (presented.kind === 'genuine' && presented.device !== session.device && write) throw new YeyakError('YEYAK_E_DEVICE_MISMATCH');
    return { device: session.device, minted: false };
  }
  if (presented.kind === 'genuine') return { device: presented.device, minted: false };
  return { device: ids.mint(), minted: true };
}

/** The device and (optional) person behind a waiting-room request (join, identity start with a pass). */
export interface DeviceHolder {
  device: string;
  personId: number | undefined;
}

/**
 * The holder of a request, given its live session (if any): the device is always one the server
 * signed (deviceOfHolder: a write from a genuine id of another device → 403 DEVICE_MISMATCH).
 */
export function holderOf(request: FastifyRequest, ids: DeviceIds, session: (DeviceBound & { readonly personId: number }) | null): DeviceHolder {
  const write = request.method !== 'GET' && request.method !== 'HEAD';
  const { device } = deviceOfHolder(request, ids, session, write);
  return { device, personId: session?.personId };
}

/** Sets the device cookie: httpOnly, SameSite=Strict, for a week. */
export function setDeviceCookie(reply: FastifyReply, device: string, secure: boolean): void {
  reply.setCookie(DEVICE_COOKIE, device, { httpOnly: true, secure, sameSite: 'strict', path: '/', maxAge: DEVICE_COOKIE_MAX_AGE_S });
}

/**
 * The device of a verification: the genuine id presented; otherwise (none, or forged) the one
 * derived from the client's address and User-Agent — the same client is the same device on its
 * next try and is not locked out by itself; another browser or phone is another. `minted` tells
 * the caller to set the cookie.
 */
export function deviceOf(request: FastifyRequest, ids: DeviceIds): { device: string; minted: boolean } {
  const presented = presentedDevice(request, ids);
  if (presented.kind === 'genuine') return { device: presented.device, minted: false };
  return { device: ids.derive(request.ip, request.headers['user-agent'] ?? ''), minted: true };
}

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
