import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, daysBetween, formatLocal, isoInZone, isRealDay, localDay, zonedInstant } from '../../src/rules/time.ts';

describe.each(['UTC', 'America/Los_Angeles'])('time helpers with the server in TZ=%s', (zone) => {
  const savedTz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = zone;
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('localDay follows the campaign zone, not the server', () => {
    expect(localDay(new Date('2021-08-09T14:59:59.999Z'), 'Asia/Seoul')).toBe('2021-08-09');
    expect(localDay(new Date('2021-08-09T15:00:00Z'), 'Asia/Seoul')).toBe('2021-08-10');
    expect(localDay(new Date('2021-08-09T15:00:00Z'), 'America/New_York')).toBe('2021-08-09');
  });

  it('zonedInstant builds the wall time in the zone', () => {
    expect(zonedInstant('2021-08-09', '20:00', 'Asia/Seoul').toISOString()).toBe('2021-08-09T11:00:00.000Z');
    expect(zonedInstant('2021-08-09', '00:00:30', 'UTC').toISOString()).toBe('2021-08-09T00:00:30.000Z');
    expect(zonedInstant('2021-01-15', '12:00', 'Europe/London').toISOString()).toBe('2021-01-15T12:00:00.000Z');
    expect(zonedInstant('2021-07-15', '12:00', 'Europe/London').toISOString()).toBe('2021-07-15T11:00:00.000Z');
  });

  it('formats in the zone', () => {
    const at = new Date('2021-08-11T11:00:00Z');
    expect(formatLocal(at, 'Asia/Seoul', 'ko')).toBe('8월 11일 20:00');
    expect(formatLocal(at, 'Asia/Seoul', 'en')).toBe('Aug 11, 20:00');
    expect(isoInZone(at, 'Asia/Seoul')).toBe('2021-08-11T20:00:00+09:00');
    expect(isoInZone(new Date('2021-08-11T11:00:00.250Z'), 'Asia/Seoul')).toBe('2021-08-11T20:00:00.250+09:00');
  });
});

describe('calendar days', () => {
  it.each([
    ['2021-08-09', true],
    ['2020-02-29', true],
    ['2000-02-29', true],
    ['2021-02-29', false],
    ['1900-02-29', false],
    ['2021-04-31', false],
    ['2021-13-01', false],
    ['2021-8-9', false],
    ['2021-08-09T00:00', false],
    [' 2021-08-09', false],
    ['20210809', false],
  ])('isRealDay(%j) → %s', (s, ok) => {
    expect(isRealDay(s)).toBe(ok);
  });

  it('addDays / daysBetween', () => {
    expect(addDays('2021-08-31', 1)).toBe('2021-09-01');
    expect(addDays('2021-03-01', -1)).toBe('2021-02-28');
    expect(addDays('2021-12-31', 1)).toBe('2022-01-01');
    expect(daysBetween('2021-08-26', '2021-08-28')).toBe(2);
    expect(daysBetween('2021-08-28', '2021-08-26')).toBe(-2);
    expect(daysBetween('2021-03-27', '2021-03-29')).toBe(2); // across a European DST change: still 2
    expect(daysBetween('2020-01-01', '2021-01-01')).toBe(366);
  });

  it('rejects bad input loudly', () => {
    expect(() => addDays('2021-02-29', 1)).toThrow(RangeError);
    expect(() => addDays('2021-02-28', 0.5)).toThrow(RangeError);
    expect(() => daysBetween('2021-08-26', 'tomorrow')).toThrow(RangeError);
    expect(() => zonedInstant('2021-08-09', '24:00', 'Asia/Seoul')).toThrow(RangeError);
    expect(() => zonedInstant('2021-08-09', '20:00', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localDay(new Date('2021-08-09T00:00:00Z'), 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localDay(new Date(Number.NaN), 'Asia/Seoul')).toThrow(RangeError);
  });
});
