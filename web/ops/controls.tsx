/**
 * Steering the line (PATCH /admin/queue/{id}): the public notice in Korean and English, pause
 * (asked first, in words) and resume, the admission rate, the cap on active passes and the
 * proof-of-work difficulty; and the pre-queue's shuffle, as the snapshot reports it. The fields
 * start from the line's current settings and are not overwritten while the operator edits; each
 * change is read back from a fresh snapshot at once.
 */
import { useSignal, type Signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { api, type QueuePatch, type Snapshot } from './api.ts';
import type { LiveFeed } from './live.ts';
import { guarded } from './session.ts';
import { Shuffle } from './shuffle.tsx';
import { StateIcon } from './state-icon.tsx';
import { count, errorText, koreaTime, rate, t } from './words.ts';

type Outcome = { ok: boolean; text: string } | null;

/** Sends one change, then shows the line as it is now. */
async function steer(feed: LiveFeed, campaignId: string, patch: QueuePatch): Promise<void> {
  await guarded(() => api.steer(campaignId, patch));
  feed.accept(await guarded(() => api.snapshot(campaignId)));
}

function useSteer(feed: LiveFeed, campaignId: string) {
  const busy = useSignal(false);
  const outcome = useSignal<Outcome>(null);
  const run = async (patch: QueuePatch, done: string): Promise<boolean> => {
    busy.value = true;
    outcome.value = null;
    try {
      await steer(feed, campaignId, patch);
      outcome.value = { ok: true, text: t().controls.applied(done, koreaTime(feed.latest.value?.at ?? '')) };
      return true;
    } catch (e) {
      outcome.value = { ok: false, text: errorText(e) };
      return false;
    } finally {
      busy.value = false;
    }
  };
  return { busy, outcome, run };
}

function Result({ outcome, id }: { outcome: Signal<Outcome>; id: string }) {
  const o = outcome.value;
  return (
    <>
      <p id={id} class="result" role="status">{o?.ok ? o.text : ''}</p>
      {o && !o.ok && <p class="error" role="alert">{o.text}</p>}
    </>
  );
}

interface NoticeProps {
  feed: LiveFeed;
  campaignId: string;
  campaignName: string;
  s: Snapshot;
}

/** Notice, pause and resume: the notice is what people waiting read about the pause. */
function NoticeAndPause({ feed, campaignId, campaignName, s }: NoticeProps) {
  const w = t().controls;
  const ko = useSignal(s.queue.notice?.ko ?? '');
  const en = useSignal(s.queue.notice?.en ?? '');
  const missing = useSignal<{ ko: boolean; en: boolean }>({ ko: false, en: false });
  const asking = useSignal(false);
  const clearOnResume = useSignal(true);
  const { busy, outcome, run } = useSteer(feed, campaignId);
  const pauseButton = useRef<HTMLButtonElement>(null);
  const question = useRef<HTMLDivElement>(null);
  const q = s.queue;

  // The question takes the focus; when it goes (cancelled), the pause button has it back.
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking.value) question.current?.focus();
    else if (wasAsking.current) pauseButton.current?.focus();
    wasAsking.current = asking.value;
  }, [asking.value]);

  /** Both languages or neither: a notice half in one language leaves someone without it. */
  const notice = (): { ko: string; en: string } | null | undefined => {
    const k = ko.value.trim();
    const e = en.value.trim();
    missing.value = { ko: !k && !!e, en: !!k && !e };
    if (!k && !e) return null;
    if (!k || !e) return undefined;
    return { ko: k, en: e };
  };

  const publish = async () => {
    const n = notice();
    if (n === undefined) return;
    if (n === null) {
      missing.value = { ko: true, en: true };
      return;
    }
    await run({ notice: n }, w.donePublished);
  };
  const withdraw = async () => {
    if (await run({ notice: null }, w.doneWithdrawn)) {
      ko.value = '';
      en.value = '';
    }
  };
  const askPause = () => {
    const n = notice();
    if (n === undefined) return;
    if (n === null) {
      missing.value = { ko: true, en: true };
      return;
    }
    asking.value = true;
  };
  const cancelPause = () => {
    asking.value = false;
  };
  const pause = async () => {
    const n = notice();
    if (!n) return;
    asking.value = false;
    await run({ paused: true, notice: n }, w.donePaused);
  };
  const resume = async () => {
    const clear = clearOnResume.value;
    if (await run(clear ? { paused: false, notice: null } : { paused: false }, w.doneResumed)) {
      if (clear) {
        ko.value = '';
        en.value = '';
      }
    }
  };
  const standard = () => {
    ko.value = w.standardKo;
    en.value = w.standardEn;
    missing.value = { ko: false, en: false };
  };

  const field = (lng: 'ko' | 'en', value: Signal<string>) => (
    <>
      <label for={`notice-${lng}`}>{lng === 'ko' ? w.noticeKo : w.noticeEn}</label>
      <input
        id={`notice-${lng}`}
        data-testid={`notice-${lng}`}
        lang={lng}
        type="text"
        maxLength={500}
        value={value.value}
        onInput={(e) => (value.value = (e.target as HTMLInputElement).value)}
        aria-invalid={missing.value[lng] ? true : undefined}
        aria-describedby={missing.value[lng] ? `notice-${lng}-missing` : undefined}
      />
      {missing.value[lng] && <p id={`notice-${lng}-missing`} class="field-error">{w.noticeMissing}</p>}
    </>
  );

  return (
    <div class="control-group">
      <h3>{w.noticeHeading}</h3>
      <p class="now" data-testid="notice-live">
        {q.notice ? <>{w.noticeLive}: <span lang="ko">“{q.notice.ko}”</span> / <span lang="en">“{q.notice.en}”</span></> : w.noticeNone}
      </p>
      <p class="hint">{w.noticeHint}</p>
      {field('ko', ko)}
      {field('en', en)}
      <div class="buttons">
        <button type="button" data-testid="apply" disabled={busy.value} onClick={() => void publish()}>{w.publish}</button>
        {q.notice && <button type="button" class="secondary" disabled={busy.value} onClick={() => void withdraw()}>{w.withdraw}</button>}
        <button type="button" class="secondary" onClick={standard}>{w.standardWords}</button>
      </div>

      <h3>{w.pauseHeading}</h3>
      <p class="now" data-testid="admission-state">
        <StateIcon paused={q.paused} /> {q.paused ? w.stateIsPaused : w.stateIsRunning}
      </p>
      {!q.paused && !asking.value && (
        <button type="button" data-testid="pause" class="danger" ref={pauseButton} disabled={busy.value} onClick={askPause}>{w.pause}</button>
      )}
      {!q.paused && asking.value && (
        <div class="confirm" ref={question} tabIndex={-1} role="group" aria-labelledby="pause-q" aria-describedby="pause-what"
          onKeyDown={(e) => e.key === 'Escape' && cancelPause()}>
          <p id="pause-q"><strong>{w.pauseQuestion(campaignName)}</strong></p>
          <p id="pause-what">{w.pauseWhat}</p>
          <p>{w.pauseNoticeWillShow}: <span lang="ko">“{ko.value.trim()}”</span> / <span lang="en">“{en.value.trim()}”</span></p>
          <div class="buttons">
            <button type="button" data-testid="pause-confirm" class="danger" onClick={() => void pause()}>{w.pauseYes}</button>
            <button type="button" class="secondary" data-testid="pause-cancel" onClick={cancelPause}>{w.cancel}</button>
          </div>
        </div>
      )}
      {q.paused && (
        <>
          <label class="check">
            <input type="checkbox" checked={clearOnResume.value} onChange={(e) => (clearOnResume.value = (e.target as HTMLInputElement).checked)} />
            {w.clearOnResume}
          </label>
          <button type="button" data-testid="resume" disabled={busy.value} onClick={() => void resume()}>{w.resume}</button>
        </>
      )}
      <Result outcome={outcome} id="notice-result" />
    </div>
  );
}

interface Limits {
  ratePerS: string;
  activeMax: string;
  powBits: string;
}
const RANGES: Record<keyof Limits, [number, number]> = { ratePerS: [1, 100_000], activeMax: [1, 1_000_000], powBits: [0, 24] };

/**
 * Rate, cap, proof of work: checked here against the API's ranges before sending. Only the fields
 * the operator changed are sent, so a value another operator set meanwhile (the hint shows the
 * line's current one) is not put back by an untouched field.
 */
function Settings({ feed, campaignId, s }: { feed: LiveFeed; campaignId: string; s: Snapshot }) {
  const w = t().controls;
  const from = (x: Snapshot): Limits => ({ ratePerS: String(x.queue.ratePerS), activeMax: String(x.queue.activeMax), powBits: String(x.queue.powBits) });
  const values = useSignal<Limits>(from(s));
  const loaded = useSignal<Limits>(values.value);
  const bad = useSignal<Partial<Record<keyof Limits, boolean>>>({});
  const { busy, outcome, run } = useSteer(feed, campaignId);
  const q = s.queue;
  const current: Record<keyof Limits, string> = { ratePerS: w.perS(rate(q.ratePerS)), activeMax: count(q.activeMax), powBits: w.bits(q.powBits) };

  const submit = async (e: Event) => {
    e.preventDefault();
    const patch: QueuePatch = {};
    const problems: Partial<Record<keyof Limits, boolean>> = {};
    for (const key of Object.keys(RANGES) as (keyof Limits)[]) {
      const raw = values.value[key].trim();
      const n = Number(raw);
      const [min, max] = RANGES[key];
      if (!/^\d+$/.test(raw) || n < min || n > max) problems[key] = true;
      else if (raw !== loaded.value[key] && n !== q[key]) patch[key] = n;
    }
    bad.value = problems;
    if (Object.keys(problems).length > 0) return;
    if (Object.keys(patch).length === 0) {
      outcome.value = { ok: true, text: w.nothingChanged };
      return;
    }
    if (await run(patch, w.doneSettings) && feed.latest.value) values.value = loaded.value = from(feed.latest.value);
  };

  const field = (key: keyof Limits, label: string, hint: string) => (
    <div class="setting">
      <label for={`set-${key}`}>{label}</label>
      <input id={`set-${key}`} data-testid={`set-${key}`} type="number" inputMode="numeric" min={RANGES[key][0]} max={RANGES[key][1]} step={1}
        value={values.value[key]} onInput={(e) => (values.value = { ...values.value, [key]: (e.target as HTMLInputElement).value })}
        aria-invalid={bad.value[key] ? true : undefined} aria-describedby={`set-${key}-hint${bad.value[key] ? ` set-${key}-bad` : ''}`} />
      <p id={`set-${key}-hint`} class="hint">{w.currently(current[key])} · {hint}</p>
      {bad.value[key] && <p id={`set-${key}-bad`} class="field-error">{w.outOfRange(count(RANGES[key][0]), count(RANGES[key][1]))}</p>}
    </div>
  );

  return (
    <form class="control-group" onSubmit={(e) => void submit(e)} noValidate>
      <h3>{w.settingsHeading}</h3>
      <div class="settings">
        {field('ratePerS', w.rateLabel, w.rateHint)}
        {field('activeMax', w.capLabel, w.capHint)}
        {field('powBits', w.powLabel, w.powHint)}
      </div>
      <button type="submit" data-testid="settings-apply" disabled={busy.value}>{w.applySettings}</button>
      <Result outcome={outcome} id="settings-result" />
    </form>
  );
}

export function Controls({ feed, campaignId, campaignName }: { feed: LiveFeed; campaignId: string; campaignName: string }) {
  const w = t().controls;
  const s = feed.latest.value;
  return (
    <section aria-labelledby="controls-heading" class="controls">
      <h2 id="controls-heading" tabIndex={-1}>{w.heading}</h2>
      {!s ? (
        <p role="status">{w.loading}</p>
      ) : (
        <>
          <NoticeAndPause feed={feed} campaignId={campaignId} campaignName={campaignName} s={s} />
          <Settings feed={feed} campaignId={campaignId} s={s} />
          <Shuffle s={s} campaignId={campaignId} />
        </>
      )}
    </section>
  );
}
