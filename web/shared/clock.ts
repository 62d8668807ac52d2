/**
 * The pages' clock: the browser's, corrected by the offset to the server's `now` when a page has
 * seen one (a phone's clock may be minutes off; window times are the server's). Nothing else in
 * web/ reads Date.now (eslint).
 */
let offsetMs = 0;

export function nowMs(): number {
  return Date.now() + offsetMs;
}

/** Call with the server's ISO `now` (GET /campaigns carries one). */
export function syncTo(serverIso: string): void {
  const server = Date.parse(serverIso);
  if (Number.isFinite(server)) offsetMs = server - Date.now();
}
