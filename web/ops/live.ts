/**
 * The live feed of one campaign: server-sent events (`snapshot` every second) when the browser
 * and the server allow, else the snapshot polled every POLL_MS; the last HISTORY_S of figures
 * kept as columns for the charts.
 *
 * Link states: 'connecting' (nothing yet), 'push' (events arriving), 'poll' (the stream was
 * refused or dropped for good: polling, and trying the stream again every STREAM_RETRY_MS),
 * 'down' (the last poll failed: still retrying, with a growing pause). EventSource reconnects by
 * itself when the server ends a stream (every minute): that is no state change.
 */
import { signal } from '@preact/signals';
import { nowMs } from '../shared/clock.ts';
import { api, type Snapshot } from './api.ts';
import { emptyHistory, record, type History } from './history.ts';
import { guarded } from './session.ts';

export type Link = 'connecting' | 'push' | 'poll' | 'down';

export const POLL_MS = 2_000;
const POLL_BACKOFF_MS_MAX = 15_000;
const STREAM_RETRY_MS = 30_000;
export class LiveFeed {
  readonly latest = signal<Snapshot | null>(null);
  readonly link = signal<Link>('connecting');
  /** Browser time of the last snapshot received (for "n s ago"). */
  readonly receivedMs = signal<number | null>(null);
  /** Bumped on every new point: the charts redraw. */
  readonly version = signal(0);
  readonly history: History = emptyHistory();

  private stream: EventSource | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private pollFailures = 0;
  private stopped = false;

  constructor(private readonly campaignId: string) {}

  start(): void {
    if (typeof EventSource === 'undefined') this.startPolling();
    else this.openStream();
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
    this.stream = null;
    this.stopPolling();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** A snapshot from elsewhere (the first one, or after a change): shown at once. */
  accept(s: Snapshot): void {
    if (this.stopped || s.campaignId !== this.campaignId) return;
    this.receivedMs.value = nowMs();
    const fresh = record(this.history, s);
    const shown = this.latest.value;
    if (fresh || !shown || Date.parse(s.at) >= Date.parse(shown.at)) this.latest.value = s;
    if (fresh) this.version.value++;
  }

  private openStream(): void {
    if (this.stopped) return;
    const es = new EventSource(api.eventsUrl(this.campaignId), { withCredentials: true });
    this.stream = es;
    es.addEventListener('snapshot', (e) => {
      this.stopPolling();
      this.link.value = 'push';
      try {
        this.accept(JSON.parse((e as MessageEvent<string>).data) as Snapshot);
      } catch {
        // A malformed event: the next one follows in a second.
      }
    });
    es.onerror = () => {
      // CONNECTING: the browser reconnects by itself (the server ends each stream after a
      // minute). CLOSED: refused (signed out, too many consoles, a proxy that buffers): poll.
      if (es.readyState !== EventSource.CLOSED) return;
      es.close();
      if (this.stream === es) this.stream = null;
      this.startPolling();
      this.retryTimer = setTimeout(() => this.openStream(), STREAM_RETRY_MS);
    };
  }

  private startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    if (this.link.value !== 'down') this.link.value = 'poll';
    void this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private async poll(): Promise<void> {
    try {
      const s = await guarded(() => api.snapshot(this.campaignId));
      if (!this.polling) return;
      this.pollFailures = 0;
      this.link.value = 'poll';
      this.accept(s);
    } catch {
      if (!this.polling) return;
      this.pollFailures++;
      this.link.value = 'down';
    }
    if (!this.polling) return;
    const wait = Math.min(POLL_MS * 2 ** Math.min(this.pollFailures, 3), POLL_BACKOFF_MS_MAX);
    this.pollTimer = setTimeout(() => void this.poll(), wait);
  }
}
