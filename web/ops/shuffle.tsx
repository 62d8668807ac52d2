/**
 * The pre-queue's shuffle: those who joined before the opening are put in a random order at the
 * opening, from a seed committed to (SHA-256 of `campaignId:seed`, published before anyone can
 * know the order; the audit log holds the seed). The live snapshot says it; a server whose
 * snapshot lacks it is asked GET /admin/queue/{id} (its shuffleSeed says done or not, no time).
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, type Shuffle as ShuffleState, type Snapshot } from './api.ts';
import { guarded } from './session.ts';
import { koreaDateTime, t } from './words.ts';

function useShuffle(s: Snapshot, campaignId: string): ShuffleState | null | undefined {
  const fallback = useSignal<ShuffleState | null | undefined>(undefined);
  const fromSnapshot = s.queue.shuffle;
  useEffect(() => {
    if (fromSnapshot || fallback.value !== undefined) return;
    guarded(() => api.queue(campaignId))
      .then((v) => (fallback.value = { enabled: true, seedCommitment: null, doneAt: v.shuffleSeed === null ? null : '' }))
      .catch(() => (fallback.value = null));
  }, [fromSnapshot === undefined, campaignId]);
  return fromSnapshot ?? fallback.value;
}

export function Shuffle({ s, campaignId }: { s: Snapshot; campaignId: string }) {
  const w = t().shuffle;
  const sh = useShuffle(s, campaignId);
  let state: string;
  if (sh === undefined) state = w.loading;
  else if (sh === null) state = w.unknown;
  else if (!sh.enabled) state = w.off;
  else if (sh.doneAt === null) state = w.pending;
  else state = sh.doneAt ? w.done(koreaDateTime(sh.doneAt)) : w.doneNoTime;
  return (
    <div class="control-group" data-testid="shuffle">
      <h3>{w.heading}</h3>
      <p class="now">{state}</p>
      {sh?.seedCommitment && (
        <p>
          {w.commitment}: <code class="hash">{sh.seedCommitment}</code>
        </p>
      )}
      {sh?.enabled && !sh.seedCommitment && <p class="hint">{w.noCommitmentYet}</p>}
      <p class="hint">{w.explain}</p>
    </div>
  );
}
