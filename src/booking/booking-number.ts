import { randomBytes } from 'node:crypto';

// Crockford-style alphabet without look-alikes (0/O, 1/I/L) and U: easy to read out on the phone.
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'; // 30 symbols
const GROUPS = 3;
const GROUP_LENGTH = 4;

/**
 * A human-friendly, unguessable booking number such as `K7M2-9QX4-PT3A`: 12 symbols from 30,
 * ≈ 59 bits of randomness, so guessing someone's number is hopeless even with their name and RRN.
 */
export function newBookingNumber(): string {
  const bytes = randomBytes(GROUPS * GROUP_LENGTH * 2);
  const chars: string[] = [];
  for (let i = 0; i < GROUPS * GROUP_LENGTH; i++) {
    // Two bytes per symbol keeps the modulo bias below 0.05 %.
    const n = bytes.readUInt16BE(i * 2) % ALPHABET.length;
    chars.push(ALPHABET[n] as string);
  }
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) groups.push(chars.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}

export const bookingNumberPattern = '^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$';
