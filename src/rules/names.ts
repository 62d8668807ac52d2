/** Names as people type them: one rule for "the same name" (identity's registry, booking's proxy and agent paths). */

/** The same name however it was typed: Unicode NFC, no outer spaces, one space inside, lower case. */
export function normalizeName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/gu, ' ').toLowerCase();
}
