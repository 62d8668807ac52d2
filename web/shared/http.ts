/**
 * The pages' one way to call the API: JSON in and out, the CSRF header on cookie-authenticated
 * writes (the citizen's `yeyak_csrf`, staff's `yeyak_staff_csrf` cookie), and errors as
 * {status, code, message, messageKo, details} so a page can put a catalogue code in plain words.
 * Small on purpose: the waiting page uses it too.
 */
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageKo: string,
    readonly details: unknown,
    readonly retryAfterS: number | null,
  ) {
    super(message);
  }
}

export function cookie(name: string): string | null {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** Raw body with its content type (CSV uploads). */
  raw?: { type: string; text: string };
  headers?: Record<string, string>;
  /** Which readable cookie holds the CSRF token for this caller. */
  csrfCookie?: 'yeyak_csrf' | 'yeyak_staff_csrf';
}

export async function call<T>(path: string, o: CallOptions = {}): Promise<T> {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  let body: string | undefined;
  if (o.raw) {
    headers['content-type'] = o.raw.type;
    body = o.raw.text;
  } else if (o.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = cookie(o.csrfCookie ?? 'yeyak_csrf');
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const res = await fetch(path.startsWith('/') ? path : `${API}/${path}`, { method, headers, body, credentials: 'same-origin' });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; messageKo?: string; details?: unknown } } | null)?.error ?? {};
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, e.messageKo ?? '', e.details ?? null, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return json as T;
}

/** True when the server's identity is the sandbox (every answer carries the header). */
export async function sandboxInUse(): Promise<boolean> {
  try {
    const res = await fetch(`${API}/identity/methods`, { method: 'GET', credentials: 'same-origin' });
    return res.headers.get('yeyak-sandbox') !== null;
  } catch {
    return false;
  }
}
