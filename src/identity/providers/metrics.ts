import client from 'prom-client';
import { lightLevel } from './lights.ts';
import type { CallEvent, MethodStatus } from './resilient.ts';

const breakerLevel = { closed: 0, open: 1, 'half-open': 2, isolated: 3 } as const;

/**
 * Identity metrics on the app's registry. Gauges are read from the providers at scrape time:
 *   yeyak_identity_light{method}                 0 green, 1 yellow, 2 red, 3 grey
 *   yeyak_identity_in_flight{method}             calls in flight to the provider
 *   yeyak_identity_breaker_state{method}         0 closed, 1 open, 2 half-open, 3 isolated
 *   yeyak_identity_provider_seconds{method,op,outcome}   time inside the provider (histogram)
 *   yeyak_identity_calls_total{method,op,outcome}        every attempt, incl. busy and open refusals
 */
export function createIdentityMetrics(registry: client.Registry, statuses: () => MethodStatus[]): (e: CallEvent) => void {
  new client.Gauge({
    name: 'yeyak_identity_light',
    help: 'Traffic light of each verification method: 0 green, 1 yellow, 2 red, 3 grey',
    labelNames: ['method'] as const,
    registers: [registry],
    collect() {
      for (const s of statuses()) this.set({ method: s.method }, lightLevel[s.light]);
    },
  });
  new client.Gauge({
    name: 'yeyak_identity_in_flight',
    help: 'Verification calls in flight to each provider',
    labelNames: ['method'] as const,
    registers: [registry],
    collect() {
      for (const s of statuses()) this.set({ method: s.method }, s.inFlight);
    },
  });
  new client.Gauge({
    name: 'yeyak_identity_breaker_state',
    help: 'Circuit breaker of each provider: 0 closed, 1 open, 2 half-open, 3 isolated',
    labelNames: ['method'] as const,
    registers: [registry],
    collect() {
      for (const s of statuses()) this.set({ method: s.method }, breakerLevel[s.breaker]);
    },
  });
  const seconds = new client.Histogram({
    name: 'yeyak_identity_provider_seconds',
    help: 'Time of a call inside the verification provider',
    labelNames: ['method', 'op', 'outcome'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const calls = new client.Counter({
    name: 'yeyak_identity_calls_total',
    help: 'Verification provider calls by outcome (ok, refused, fault, timeout, busy, open)',
    labelNames: ['method', 'op', 'outcome'] as const,
    registers: [registry],
  });
  return (e) => {
    const labels = { method: e.method, op: e.op, outcome: e.outcome };
    calls.inc(labels);
    if (e.ms !== undefined) seconds.observe(labels, e.ms / 1000);
  };
}
