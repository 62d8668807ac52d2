/**
 * The live feed as server-sent events (live.ts LiveFeed.streams): a `snapshot` event at once and
 * then every interval, to a sink (the hijacked HTTP response, live-routes.ts). Bounded every way:
 * - at most `streamsMax` streams per node (the route answers 429 BUSY beyond);
 * - a stream ends after `streamMsMax`: EventSource reconnects by itself (after `retry`), and the
 *   reconnect is a new request, so staff access is decided again — a disabled member's console
 *   stops within that time;
 * - a snapshot still being computed, or a client that reads slower than it is sent to (more than
 *   BUFFERED_BYTES_MAX waiting), skips a tick instead of piling up.
 * `stopAll` ends every stream: the app's preClose, so app.close() never waits on a console.
 */
export interface StreamSink {
  write(chunk: string): void;
  /** Bytes written but not yet sent. */
  readonly buffered: number;
  end(): void;
}

export interface LiveStreamOptions {
  intervalMs: number;
  streamMsMax: number;
  streamsMax: number;
  warn: (msg: string, fields: Record<string, unknown>) => void;
}

export const LIVE_STREAM_DEFAULTS = {
  intervalMs: 1_000, // one snapshot a second
  streamMsMax: 60_000, // 1 min, then a reconnect
  streamsMax: 32, // consoles per node
} as const;
/** What EventSource waits before reconnecting, ms. */
export const RECONNECT_MS = 1_000;
const BUFFERED_BYTES_MAX = 256 * 1024;

export function snapshotEvent(s: unknown): string {
  return `event: snapshot\ndata: ${JSON.stringify(s)}\n\n`;
}

export class LiveStreams<T> {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly snapshot: (campaignId: string) => Promise<T>,
    private readonly opts: LiveStreamOptions,
  ) {}

  get count(): number {
    return this.open.size;
  }

  get full(): boolean {
    return this.open.size >= this.opts.streamsMax;
  }

  /** Streams `campaignId` to `sink`, `first` at once; returns the stop (idempotent). */
  start(campaignId: string, sink: StreamSink, first: T): () => void {
    let stopped = false;
    let busy = false;
    let ticks = 0;
    const ticksMax = Math.max(1, Math.floor(this.opts.streamMsMax / this.opts.intervalMs));
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      this.open.delete(stop);
      sink.end();
    };
    const tick = async () => {
      if (++ticks > ticksMax) return stop();
      if (busy || sink.buffered > BUFFERED_BYTES_MAX) return;
      busy = true;
      try {
        const s = await this.snapshot(campaignId);
        if (!stopped) sink.write(snapshotEvent(s));
      } catch (e) {
        this.opts.warn('live feed snapshot failed', { campaignId, err: e });
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), this.opts.intervalMs);
    timer.unref();
    this.open.add(stop);
    sink.write(`retry: ${RECONNECT_MS}\n\n${snapshotEvent(first)}`);
    return stop;
  }

  stopAll(): void {
    for (const stop of [...this.open]) stop();
  }
}
