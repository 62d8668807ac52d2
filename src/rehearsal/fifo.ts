/**
 * Fairness from the rehearsal's own observations (no trust in the server's account): among the
 * citizens who joined after the opening (the pre-queue is shuffled on purpose),
 * - a join inversion: B got an earlier place than A although A's join was answered before B's was sent;
 * - an admission inversion: A was told "waiting" by a poll sent after B — later in line — had been
 *   told "admitted".
 * `toleranceMs` absorbs the per-node state cache (≤ 1 s old) when several nodes serve one line.
 */
import type { Observations } from './world.ts';

export interface FifoResult {
  /** Citizens passed over in admission (A above), plus citizens placed ahead of an earlier join (B). */
  inversions: number;
  admissionInversions: number;
  joinInversions: number;
  /** Citizens admitted while someone ahead of them was still told to wait (the jumpers). */
  jumpers: Int32Array;
  /** Citizens compared (joined after the opening, with a known place). */
  compared: number;
}

export function fifoInversions(o: Observations, toleranceMs = 1000): FifoResult {
  const candidates: number[] = [];
  for (let i = 0; i < o.size; i++) if (o.preQueue[i] === 0 && (o.position[i] ?? -1) >= 0 && !Number.isNaN(o.joinSent[i])) candidates.push(i);
  const idx = Int32Array.from(candidates).sort((a, b) => (o.position[a] as number) - (o.position[b] as number));
  let admissionInversions = 0;
  let joinInversions = 0;
  // Descending: the earliest admission and join answer among those behind (strictly larger position).
  let minAdmittedBehind = Infinity;
  let minJoinRecvBehind = Infinity;
  for (let k = idx.length - 1; k >= 0; ) {
    let g = k;
    const p = o.position[idx[k] as number] as number;
    while (g >= 0 && o.position[idx[g] as number] === p) g--;
    for (let j = k; j > g; j--) {
      const i = idx[j] as number;
      if ((o.lastWaitingSent[i] as number) - toleranceMs > minAdmittedBehind) admissionInversions++;
      if ((o.joinSent[i] as number) - toleranceMs > minJoinRecvBehind) joinInversions++;
    }
    for (let j = k; j > g; j--) {
      const i = idx[j] as number;
      const adm = o.admittedRecv[i] as number;
      if (!Number.isNaN(adm) && adm < minAdmittedBehind) minAdmittedBehind = adm;
      const jr = o.joinRecv[i] as number;
      if (jr < minJoinRecvBehind) minJoinRecvBehind = jr;
    }
    k = g;
  }
  // Ascending: the latest "waiting" poll among those ahead; admitted before it → a jumper.
  const jumpers: number[] = [];
  let maxWaitingAhead = -Infinity;
  for (let k = 0; k < idx.length; ) {
    let g = k;
    const p = o.position[idx[k] as number] as number;
    while (g < idx.length && o.position[idx[g] as number] === p) g++;
    for (let j = k; j < g; j++) {
      const i = idx[j] as number;
      const adm = o.admittedRecv[i] as number;
      if (!Number.isNaN(adm) && maxWaitingAhead - toleranceMs > adm) jumpers.push(i);
    }
    for (let j = k; j < g; j++) {
      const w = o.lastWaitingSent[idx[j] as number] as number;
      if (!Number.isNaN(w) && w > maxWaitingAhead) maxWaitingAhead = w;
    }
    k = g;
  }
  return { inversions: admissionInversions + joinInversions, admissionInversions, joinInversions, jumpers: Int32Array.from(jumpers), compared: idx.length };
}
