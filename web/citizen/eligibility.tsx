/**
 * Eligibility in plain words: yes (and until when), or why not — not yet (when the window opens,
 * and why then: the rotation by day of birth), not in the cohort, already booked, window passed,
 * closed. Yes goes on to the waiting room where the campaign has one, else straight to booking.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Campaign, type Eligibility as Answer } from './api.ts';
import { birthDay, instant } from './format.ts';
import { go, setNext } from './router.ts';
import { campaignOf, goToWaitingRoom, loadCampaigns } from './state.ts';
import { codeOf, Loading, Problem, Title, useT } from './parts.tsx';
import { daysOf, fullWindow, whoOf } from './windows.ts';
import { boosterRefusal, LastDose, useBooster } from './booster.tsx';

const SESSION_CODES = new Set(['YEYAK_E_UNAUTHENTICATED', 'YEYAK_E_SESSION_EXPIRED', 'YEYAK_E_SESSION_REVOKED']);

/** On a missing or ended session: verify, then come back here (`replace`: the page found out by itself). */
export function toVerify(back: string, replace = false): void {
  setNext(back);
  go('#/verify', replace);
}
export function needsSession(e: unknown): boolean {
  return SESSION_CODES.has(codeOf(e) ?? '');
}

export function Eligibility(props: { campaignId: string }) {
  const t = useT();
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [c, setC] = useState<Campaign | undefined>(campaignOf(props.campaignId));
  const load = async () => {
    setError(null);
    try {
      if (!c) setC((await loadCampaigns())?.find((x) => x.id === props.campaignId));
      setAnswer(await api.eligibility(props.campaignId));
    } catch (e) {
      if (needsSession(e)) return toVerify(`#/eligibility/${props.campaignId}`, true);
      setError(e);
    }
  };
  useEffect(() => void load(), [props.campaignId]);

  return (
    <>
      <Title>{t.elig.title}</Title>
      {!answer && !error && <Loading text={t.elig.checking} />}
      <Problem error={error}>
        <button type="button" onClick={() => void load()}>{t.book.retry}</button>
      </Problem>
      {answer && c && <Verdict c={c} a={answer} />}
    </>
  );
}

function Verdict(props: { c: Campaign; a: Answer }) {
  const { c, a } = props;
  const t = useT();
  const tz = c.timeZone;
  if (a.eligible) {
    return <Eligible c={c} a={a} />;
  }
  const r = a.reasons;
  const cohort = boosterRefusal(a, useBooster());
  if (cohort && !r.includes('BIRTH_OUT_OF_RANGE') && !r.includes('NOT_IN_ROSTER')) {
    return (
      <Refusal title={cohort.title}>
        {cohort.lines.map((line) => <p key={line}>{line}</p>)}
      </Refusal>
    );
  }
  if (r.includes('BIRTH_OUT_OF_RANGE') || r.includes('NOT_IN_ROSTER')) {
    return (
      <Refusal title={t.elig.outTitle}>
        {r.includes('BIRTH_OUT_OF_RANGE') && c.birthFrom && c.birthTo && <p>{t.elig.outBirth(birthDay(c.birthFrom), birthDay(c.birthTo))}</p>}
        {r.includes('NOT_IN_ROSTER') && <p>{t.elig.outRoster}</p>}
      </Refusal>
    );
  }
  if (r.includes('ALREADY_BOOKED')) {
    return (
      <Refusal title={t.elig.bookedTitle}>
        {a.bookingNumber && <p class="big-number">{t.elig.booked(a.bookingNumber)}</p>}
        <a class="button" href="#/my">{t.elig.seeMy}</a>
      </Refusal>
    );
  }
  if (r.includes('WINDOW_NOT_YET_OPEN') && a.nextWindow) {
    const w = fullWindow(c, a.nextWindow);
    const days = daysOf(w);
    const digit = w.birthDayDigits?.length === 1 ? w.birthDayDigits[0] : undefined;
    return (
      <Refusal title={t.elig.notYetTitle}>
        <p class="headline">{t.elig.notYet(instant(w.opensAt, tz))}</p>
        {digit !== undefined && days ? <p>{t.elig.whyRotation(digit, days)}</p> : <p>{t.elig.whyNotYet(whoOf(c, w))}</p>}
      </Refusal>
    );
  }
  if (r.includes('NOT_YOUR_WINDOW')) {
    return (
      <Refusal title={t.elig.passedTitle}>
        <p>{t.elig.passed}</p>
      </Refusal>
    );
  }
  return (
    <Refusal title={t.elig.closedTitle}>
      <p>{t.elig.closed}</p>
    </Refusal>
  );
}

/** Eligible: says so and moves on by itself (the button stays for a blocked navigation). */
function Eligible(props: { c: Campaign; a: Answer }) {
  const { c, a } = props;
  const t = useT();
  const onward = () => (c.waitingRoom.enabled ? goToWaitingRoom(c.id, undefined, true) : go(`#/book/${c.id}`, true));
  useEffect(onward, [c.id]);
  return (
    <section class="verdict ok" aria-labelledby="verdict">
      <h2 id="verdict">✓ {t.elig.yesTitle}</h2>
      {a.window && <p>{t.elig.yesUntil(instant(a.window.closesAt, c.timeZone))}</p>}
      <LastDose a={a} />
      {c.waitingRoom.enabled && <p>{t.elig.waitHint}</p>}
      <button type="button" class="big" data-testid="continue" onClick={onward}>
        {c.waitingRoom.enabled ? t.elig.goWait : t.elig.goBook}
      </button>
    </section>
  );
}

function Refusal(props: { title: string; children: ComponentChildren }) {
  const t = useT();
  return (
    <section class="verdict no" aria-labelledby="verdict">
      <h2 id="verdict">{props.title}</h2>
      {props.children}
      <p>
        <a href="#/">{t.elig.home}</a>
      </p>
    </section>
  );
}
