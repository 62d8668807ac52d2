import { maskPhone, type NoticeProvider, type OutboundNotice, type SendResult } from '../provider.ts';

/** The default: one log line per notice saying what would be sent (the phone masked). */
export class ConsoleProvider implements NoticeProvider {
  readonly name = 'console';

  constructor(private readonly log: (msg: string, fields: Record<string, unknown>) => void) {}

  async send(m: OutboundNotice, idempotencyKey: string): Promise<SendResult> {
    this.log(`notice ${idempotencyKey} ${m.topic} → ${maskPhone(m.to) ?? '-'} (${m.kind}, ${m.bytes} B): ${m.text}`, { notice: m.id, topic: m.topic });
    return { ok: true, channel: 'console' };
  }
}
