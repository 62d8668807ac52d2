/**
 * The live panels that are lists, not lines: the five verification lights (a word and a shape
 * with each colour), booking refusals by code, and first doses left per 시/도 as a bar table
 * (the number is the cell's text; the bar only draws it).
 */
import { lang } from '../shared/ui.tsx';
import type { Light, Snapshot } from './api.ts';
import { count, rate, t } from './words.ts';

/** A shape per light as well as a colour: ● ▲ ■ ○. */
const LIGHT_MARK: Record<Light, string> = { green: '●', yellow: '▲', red: '■', grey: '○' };

export function Lights({ s }: { s: Snapshot }) {
  const w = t().live;
  return (
    <section class="panel" aria-labelledby="lights-heading">
      <h3 id="lights-heading">{w.lightsHeading}</h3>
      {s.identity.length === 0 ? (
        <p>{w.noData}</p>
      ) : (
        <ul class="lights" data-testid="lights">
          {s.identity.map((m) => (
            <li key={m.method} class={`light light-${m.light}`}>
              <span class="mark" aria-hidden="true">{LIGHT_MARK[m.light]}</span>
              <span class="method">{w.methods[m.method as keyof typeof w.methods] ?? m.method}</span>
              <span class="word">{w.lights[m.light]}</span>
            </li>
          ))}
        </ul>
      )}
      <p class="hint">{w.lightsHint}</p>
    </section>
  );
}

export function Refusals({ s }: { s: Snapshot }) {
  const w = t().live;
  const rows = Object.entries(s.bookings.errorsByCode).sort((a, b) => b[1] - a[1]);
  return (
    <section class="panel" aria-labelledby="refusals-heading">
      <h3 id="refusals-heading">{w.refusalsHeading}</h3>
      {rows.length === 0 ? (
        <p data-testid="refusals">{w.noRefusals}</p>
      ) : (
        <table data-testid="refusals" class="refusals">
          <thead>
            <tr>
              <th scope="col">{w.code}</th>
              <th scope="col" class="num">{w.perSecond}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([code, perS]) => (
              <tr key={code}>
                <th scope="row"><code>{code}</code>{w.codes[code as keyof typeof w.codes] && <span class="muted"> {w.codes[code as keyof typeof w.codes]}</span>}</th>
                <td class="num">{rate(perS)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="hint">{w.refusalsHint}</p>
    </section>
  );
}

export function Regions({ s }: { s: Snapshot }) {
  const w = t().live;
  const max = Math.max(1, ...s.remainingByRegion.map((r) => r.remaining));
  return (
    <section class="panel regions" aria-labelledby="regions-heading">
      <h3 id="regions-heading">{w.regionsHeading}</h3>
      {s.remainingByRegion.length === 0 ? (
        <p>{w.noData}</p>
      ) : (
        <table data-testid="regions">
          <thead>
            <tr>
              <th scope="col">{w.region}</th>
              <th scope="col">{w.dosesLeft}</th>
            </tr>
          </thead>
          <tbody>
            {s.remainingByRegion.map((r) => (
              <tr key={r.code} class={r.remaining === 0 ? 'gone' : undefined}>
                <th scope="row">{lang.value === 'en' ? r.nameEn : r.nameKo}</th>
                <td>
                  <div class="bar-cell">
                    <span class="num">{r.remaining === 0 ? w.noneLeft : count(r.remaining)}</span>
                    <span class="bar-track" aria-hidden="true"><span class="bar" style={{ width: `${(r.remaining * 100) / max}%` }} /></span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
