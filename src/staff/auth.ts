import type { FastifyInstance, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { sendError } from '../core/http.ts';
import { staffMayAccess, type StaffDirectory, type StaffMember, type StaffRole } from './staff.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The staff member of an /api/v1/admin request (set by the admin hook), else null. */
    staff: StaffMember | null;
  }
}

/** The path as the router sees it (percent-decoded; a broken escape decoded as far as it goes). */
export function decodedPath(rawUrl: string): string {
  const rawPath = rawUrl.split('?')[0] ?? '';
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath.replace(/%[0-9A-Fa-f]{2}/g, (h) => String.fromCharCode(parseInt(h.slice(1), 16)));
  }
}

/**
 * Every path under /api/v1/admin — existing or not — needs a staff credential (401 without one),
 * and the role must allow the path (403 FORBIDDEN): deny by default, before routing and before the
 * body is read. `isAdminPath` is the app's decoded-path check.
 */
export function installStaffAuth(app: FastifyInstance, directory: StaffDirectory, isAdminPath: (rawUrl: string) => boolean): void {
  app.decorateRequest('staff', null);
  app.addHook('onRequest', async (request, reply) => {
    if (!isAdminPath(request.url)) return;
    const header = request.headers.authorization ?? '';
    const staff = header.startsWith('Bearer ') ? await directory.resolve(header.slice(7)) : null;
    if (!staff) return sendError(reply, new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED'));
    if (!staffMayAccess(staff, decodedPath(request.url))) return sendError(reply, new YeyakError('YEYAK_E_FORBIDDEN'));
    request.staff = staff;
  });
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
