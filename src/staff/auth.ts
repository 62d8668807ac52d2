import type { FastifyInstance, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { sendError } from '../core/http.ts';
import { STAFF_COOKIE, STAFF_CSRF_HEADER, STAFF_CSRF_REFUSAL, type StaffSessions } from './session.ts';
import type { StaffDirectory, StaffMember, StaffRole } from './staff.ts';

/**
 * Who may use a route: the roles allowed (an operator only where listed), and for clinic staff
 * the route parameter that must name their own clinic. Declared on the route itself
 * (`config: { staff: … }`), so the decision is made on the route the router matched — never on
 * the raw request target, which may be absolute-form, doubly slashed, dot-segmented or
 * percent-encoded in ways the router normalises and a string test does not.
 */
export interface StaffPolicy {
  readonly roles: readonly StaffRole[];
  /** For the clinic role: the path parameter holding the clinic id (its own clinic only). */
  readonly clinicParam?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The staff member of a staff route (set by the staff hook), else null. */
    staff: StaffMember | null;
  }
  interface FastifyContextConfig {
    staff?: StaffPolicy;
  }
}

export const ADMIN_PREFIX = '/api/v1/admin';

function underAdmin(path: string): boolean {
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

/**
 * For requests that matched NO route only: does the target, normalised every way a router or a
 * proxy might (absolute-form stripped, percent-decoded, dot segments resolved, slashes collapsed,
 * case folded), name a path under /api/v1/admin? Such requests answer 401 like existing admin
 * paths, so the answer never tells which admin paths exist. Nothing is protected by this check:
 * a matched route is decided by its declared policy.
 */
export function looksLikeAdminPath(rawUrl: string): boolean {
  let path = rawUrl.split(/[?#]/)[0] ?? '';
  path = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    path = path.replace(/%[0-9A-Fa-f]{2}/g, (h) => String.fromCharCode(parseInt(h.slice(1), 16)));
  }
  const segments: string[] = [];
  for (const s of path.toLowerCase().replaceAll('\\', '/').split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s.split(';')[0] ?? s);
  }
  return underAdmin(`/${segments.join('/')}`);
}

/**
 * Staff access, deny by default:
 * - registering a route under /api/v1/admin without a staff policy fails at start;
 * - a request that matched a route with a policy needs a staff credential (401) whose role the
 *   policy allows, and for clinic staff their own clinic in the matched parameter (403);
 * - the credential is `Authorization: Bearer <token>`, or (no Authorization header) the sign-in
 *   cookie (staff/session.ts), whose writes — anything but GET and HEAD — also carry its
 *   X-CSRF-Token (403 CSRF_TOKEN_INVALID): the browser sends the cookie on its own;
 * - a request that matched no route but looks like an admin path answers 401 without a
 *   credential, as every admin path does, existing or not.
 * Runs onRequest: before the body is read.
 */
export function installStaffAuth(app: FastifyInstance, directory: StaffDirectory, sessions: StaffSessions): void {
  app.decorateRequest('staff', null);
  app.addHook('onRoute', (route) => {
    if (underAdmin(route.url) && !route.config?.staff) {
      throw new Error(`route ${String(route.method)} ${route.url} is under ${ADMIN_PREFIX} but declares no staff policy (config.staff)`);
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const policy = request.routeOptions.config?.staff;
    const matched = request.routeOptions.url !== undefined;
    if (!policy && (matched || !looksLikeAdminPath(request.url))) return;
    const staff = await credentialOf(request, directory, sessions);
    if (staff instanceof YeyakError) return sendError(reply, staff);
    if (policy && !allowed(staff, policy, request)) return sendError(reply, new YeyakError('YEYAK_E_FORBIDDEN'));
    request.staff = staff;
  });
}

const READS = new Set(['GET', 'HEAD']);

/** The bearer token's staff member, else the sign-in cookie's (a write: with its CSRF token); else why not. */
async function credentialOf(request: FastifyRequest, directory: StaffDirectory, sessions: StaffSessions): Promise<StaffMember | YeyakError> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const staff = header.startsWith('Bearer ') ? await directory.resolve(header.slice(7)) : null;
    return staff ?? new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED');
  }
  const session = await sessions.resolve(request.cookies?.[STAFF_COOKIE]);
  if (!session) return new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED');
  if (!READS.has(request.method)) {
    const given = request.headers[STAFF_CSRF_HEADER];
    if (!sessions.checkCsrf(session.sid, typeof given === 'string' ? given : undefined)) return new YeyakError('YEYAK_E_CSRF_TOKEN_INVALID', STAFF_CSRF_REFUSAL);
  }
  return session.staff;
}

function allowed(staff: StaffMember, policy: StaffPolicy, request: FastifyRequest): boolean {
  if (!policy.roles.includes(staff.role)) return false;
  if (staff.role !== 'clinic') return true;
  const params = request.params as Record<string, string | undefined>;
  return policy.clinicParam !== undefined && staff.clinicId !== null && params[policy.clinicParam] === staff.clinicId;
}

/** Route-level check (defence in depth behind the hook): the role, and for clinic staff the clinic. */
export function requireStaff(request: FastifyRequest, roles: readonly StaffRole[], clinicId?: string): StaffMember {
  const staff = request.staff;
  if (!staff) throw new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED');
  if (staff.role === 'operator') return staff;
  if (!roles.includes(staff.role)) throw new YeyakError('YEYAK_E_FORBIDDEN');
  if (staff.role === 'clinic' && (clinicId === undefined || staff.clinicId !== clinicId)) throw new YeyakError('YEYAK_E_FORBIDDEN');
  return staff;
}
