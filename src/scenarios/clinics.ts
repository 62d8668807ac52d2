/**
 * Synthetic clinics for the scenarios. Deterministic for a given seed: clinic i is drawn from its
 * own PRNG stream (seed, i), so the first N clinics are the same whatever the total — the demo's
 * 300 clinics are the korea scenario's first 300 for the same seed, and seeding both into one
 * store agrees on them. Clinics 0..249 cover every 시/군/구; the rest follow population.
 */
import { SIDO, SIGUNGU, sidoByCode } from './regions.ts';
import { mulberry32 } from '../core/random.ts';
import type { Sigungu } from './regions.ts';

export interface SyntheticClinic {
  id: string;
  name: string;
  sidoCode: string;
  sigunguCode: string;
  address: string;
  phone: string;
  /** Dose-1 capacity per clinic-day. */
  capacity: number;
}


/** One independent stream per (seed, index): murmur3's finaliser over both. */
function streamSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const NAME_WORDS = [
  '튼튼', '바른', '연세', '서울', '행복', '하나', '새봄', '우리', '미래', '사랑', '365', '참좋은', '건강한', '푸른',
  '밝은', '제일', '중앙', '한빛', '늘푸른', '다정', '온누리', '으뜸', '열린', '봄날', '믿음', '새롬', '좋은', '든든',
  '해맑은', '소망', '한마음', '이음', '가온', '미소', '새싹', '초록', '정성', '다온', '고운', '편한',
];
const NAME_KINDS = [
  '내과의원', '가정의학과의원', '소아청소년과의원', '이비인후과의원', '정형외과의원', '의원', '내과', '병원',
  '연합의원', '365의원', '재활의학과의원', '외과의원',
];
const ROAD_WORDS = [
  '중앙', '시장', '문화', '새말', '은행', '학교', '공원', '역전', '동산', '청석', '버들', '솔밭', '한내', '매봉',
  '느티', '장터', '샘터', '큰길', '강변', '신촌',
];
const COVER_ORDER: readonly Sigungu[] = coverOrder();
const SIGUNGU_WEIGHT_GUN = 0.35; // a 군 has far fewer people than a 구 or 시

/** Clinics 0..249 cover every 시/군/구, each 시/도 first; the rest follow population. */
function coverOrder(): Sigungu[] {
  const firsts = SIDO.map((s) => SIGUNGU.find((g) => g.sidoCode === s.code)).filter((g): g is Sigungu => !!g);
  return [...firsts, ...SIGUNGU.filter((g) => !firsts.includes(g))];
}

const SIDO_WEIGHTS = SIDO.map((s) => s.populationM);
const SIGUNGU_BY_SIDO = new Map(SIDO.map((s) => [s.code, SIGUNGU.filter((g) => g.sidoCode === s.code)]));

function pickWeighted<T>(items: readonly T[], weights: readonly number[], u: number): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = u * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i] ?? 0;
    if (x < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function pick<T>(items: readonly T[], u: number): T {
  return items[Math.floor(u * items.length)] as T;
}

function sigunguForClinic(index: number, rand: () => number): Sigungu {
  const covering = COVER_ORDER[index];
  if (covering) return covering;
  const sido = pickWeighted(SIDO, SIDO_WEIGHTS, rand());
  const list = SIGUNGU_BY_SIDO.get(sido.code) ?? [];
  return pickWeighted(list, list.map((g) => (g.nameKo.endsWith('군') ? SIGUNGU_WEIGHT_GUN : 1)), rand());
}

/** '종로구' → '종로', '수원시 장안구' → '수원장안', '중구' stays (too short to strip). */
function shortSigungu(nameKo: string): string {
  const strip = (s: string) => (s.length > 2 ? s.slice(0, -1) : s);
  return nameKo.split(' ').map(strip).join('');
}

export function generateClinics(seed: number, count: number, capacityOf: (u: number) => number): SyntheticClinic[] {
  const out: SyntheticClinic[] = [];
  const namesSeen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const rand = mulberry32(streamSeed(seed, i));
    const capacity = capacityOf(rand()); // first draw: capacity, so it never depends on the rest
    const g = sigunguForClinic(i, rand);
    const sido = sidoByCode(g.sidoCode);
    const area = shortSigungu(g.nameKo) === sido.shortKo ? sido.shortKo : sido.shortKo + shortSigungu(g.nameKo);
    let name = '';
    for (let attempt = 0; attempt < 8 && (name === '' || namesSeen.has(name)); attempt++) {
      name = `${area} ${pick(NAME_WORDS, rand())}${pick(NAME_KINDS, rand())}`;
    }
    if (namesSeen.has(name)) name = `${name} ${i + 1}`;
    namesSeen.add(name);
    const road = `${pick(ROAD_WORDS, rand())}${rand() < 0.5 ? '로' : '길'} ${1 + Math.floor(rand() * 300)}`;
    // Subscriber numbers in Korea never begin with 0, so these name no real line.
    const phone = `${sido.areaCode}-0${String(Math.floor(rand() * 1000)).padStart(3, '0')}-${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;
    out.push({
      id: `C${String(i + 1).padStart(6, '0')}`,
      name,
      sidoCode: g.sidoCode,
      sigunguCode: g.code,
      address: `${sido.nameKo} ${g.nameKo} ${road}, ${2 + Math.floor(rand() * 4)}층`,
      phone,
      capacity,
    });
  }
  return out;
}
