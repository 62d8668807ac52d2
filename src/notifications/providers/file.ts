import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { maskPhone, type NoticeProvider, type OutboundNotice, type SendResult } from '../provider.ts';

/**
 * JSON lines appended to a file: what would be sent, one line per notice (the phone masked), so
 * the embedded demo shows its messages. A resend after a crash appends the same key again: a
 * reader de-duplicates by `key`.
 */
export class FileProvider implements NoticeProvider {
  readonly name = 'file';
  private dirReady: Promise<unknown> | null = null;

  constructor(
    private readonly path: string,
    private readonly clock: Clock,
  ) {}

  async send(m: OutboundNotice, idempotencyKey: string): Promise<SendResult> {
    try {
      this.dirReady ??= mkdir(dirname(this.path), { recursive: true });
      await this.dirReady;
      const line = { at: this.clock.now().toISOString(), key: idempotencyKey, topic: m.topic, to: maskPhone(m.to), kind: m.kind, bytes: m.bytes, lang: m.lang, text: m.text };
      await appendFile(this.path, `${JSON.stringify(line)}\n`, 'utf8');
      return { ok: true, channel: 'file' };
    } catch (e) {
      this.dirReady = null;
      return { ok: false, retryable: true, error: `FILE_WRITE: ${(e as NodeJS.ErrnoException).code ?? 'error'}` };
    }
  }
}
