import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreUnavailable } from './db-errors.ts';
import { errorCatalogue, isYeyakError, YeyakError, type ErrorCode } from './errors.ts';
import { apiSecurityHeaders } from './security-headers.ts';

/** The error body of every failure: `{"error": {"code", "message", ...}}`. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(errorCatalogue) },
        message: { type: 'string' },
        messageKo: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

// Fastify's own client errors, mapped onto the catalogue.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'YEYAK_E_INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'YEYAK_E_INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'YEYAK_E_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'YEYAK_E_BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'YEYAK_E_VALIDATION',
};

/** The catalogue's JSON body for `code`, as every answer carries it. */
export function errorBody(code: ErrorCode): { error: { code: ErrorCode; message: string; messageKo: string } } {
  const entry = errorCatalogue[code];
  return { error: { code, message: entry.message, messageKo: entry.messageKo } };
}

// The HTTP parser's own refusals (before any request object exists), mapped onto the catalogue.
const clientErrorCodes: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'YEYAK_E_HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'YEYAK_E_REQUEST_TIMEOUT',
};

/** A whole HTTP/1.1 response, written to the raw socket: the connection closes after it. */
export function rawErrorResponse(code: ErrorCode, extraHeaders: Readonly<Record<string, string>> = {}): string {
  const { status } = errorCatalogue[code];
  const body = JSON.stringify(errorBody(code));
  const headers = {
    ...apiSecurityHeaders,
    ...extraHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n${body}`;
}

/**
 * Fastify's `clientErrorHandler`: what the HTTP parser refuses (headers too large, a malformed
 * request line, a request that never finished arriving) answers with a catalogue body too.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  answerClientErrorWith({})(err, socket);
}

/** As answerClientError, with headers every reply of this app carries (the sandbox notice). */
export function answerClientErrorWith(extraHeaders: Readonly<Record<string, string>>): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => writeClientError(err, socket, extraHeaders);
}

function writeClientError(err: Error & { code?: string }, socket: Socket, extraHeaders: Readonly<Record<string, string>>): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node does: never write into a response that has already started on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const code = (err.code ? clientErrorCodes[err.code] : undefined) ?? 'YEYAK_E_BAD_REQUEST';
  socket.end(rawErrorResponse(code, extraHeaders), () => socket.destroy());
}

export function sendError(reply: FastifyReply, e: YeyakError): FastifyReply {
  const entry = errorCatalogue[e.code];
  if (e.code === 'YEYAK_E_BUSY' || e.code === 'YEYAK_E_RATE_LIMITED' || e.code === 'YEYAK_E_STORE_UNAVAILABLE') reply.header('retry-after', '2');
  return reply.status(e.status).send({
    error: { code: e.code, message: e.message, messageKo: entry.messageKo, ...(e.details ? { details: e.details } : {}) },
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  // The API takes JSON only. Fastify's built-in text/plain parser would hand the schema a string,
  // answering "body must be object" (400) where 415 "Send JSON" is the fitting error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isYeyakError(err)) return sendError(reply, err);
    if (err.validation) {
      const first = err.validation[0];
      return sendError(
        reply,
        new YeyakError('YEYAK_E_VALIDATION', `${err.validationContext ?? 'request'}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`, {
          in: err.validationContext,
          path: first?.instancePath,
          keyword: first?.keyword,
          params: first?.params,
        }),
      );
    }
    const mapped = err.code ? fastifyCodes[err.code] : undefined;
    if (mapped) return sendError(reply, new YeyakError(mapped));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, new YeyakError(err.statusCode === 413 ? 'YEYAK_E_BODY_TOO_LARGE' : 'YEYAK_E_BAD_REQUEST', err.message));
    }
    // The database restarting or out of reach is an outage, not a bug: 503, and the client retries.
    if (isStoreUnavailable(err)) {
      request.log.warn({ err }, 'store unavailable');
      return sendError(reply, new YeyakError('YEYAK_E_STORE_UNAVAILABLE'));
    }
    // Anything else is a bug: log it whole, answer without internals.
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, new YeyakError('YEYAK_E_INTERNAL'));
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new YeyakError('YEYAK_E_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`));
  });
}

/**
 * The credential of `Authorization: Bearer <token>` (sessions, tickets, staff tokens), or
 * undefined when the header is absent or another scheme. The one place the header is parsed.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim();
}
