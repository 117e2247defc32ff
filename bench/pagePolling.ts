/**
 * What the order page's polling costs and how fresh it keeps the screen, measured on a virtual
 * clock with the page's own policy (miniprogram/services/poller.ts) against a model of getOrder's
 * long-poll (held until the order's rev moves past knownRev, at most 3 s). Compared with a naive
 * page that asks once a second. Deterministic: no real waiting, no network.
 *
 *   npx esbuild bench/pagePolling.ts --bundle --platform=node --outfile=.build/pagePolling.cjs && node .build/pagePolling.cjs
 */
import { Poller, type PollResult, type Timers } from '../miniprogram/services/poller';

const ROUND_TRIP_MS = 120;
const MAX_HOLD_MS = 3_000;

class VirtualClock implements Timers {
  now = 0;
  private queue: Array<{ at: number; seq: number; callback: () => void }> = [];
  private seq = 0;

  set(callback: () => void, ms: number): unknown {
    const timer = { at: this.now + Math.max(0, ms), seq: this.seq++, callback };
    this.queue.push(timer);
    return timer;
  }

  clear(handle: unknown): void {
    this.queue = this.queue.filter((timer) => timer !== handle);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.set(resolve, ms));
  }

  /** Runs timers in order until `until` ms, letting every promise settle between them. */
  async run(until: number): Promise<void> {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.at > until) break;
      this.queue.shift();
      this.now = next.at;
      next.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.now = until;
  }
}

interface Scenario {
  name: string;
  /** When the order's rev changes (ms after the page opens). */
  changes: number[];
  /** When it reaches a final state (undefined: it does not within the horizon). */
  finalAt?: number;
  /** The server fails every call in [from, to). */
  outage?: [number, number];
  horizonMs: number;
}

interface Figures {
  calls: number;
  perMinute: number;
  meanStalenessMs: number;
  maxStalenessMs: number;
}

function revAt(scenario: Scenario, time: number): number {
  return scenario.changes.filter((at) => at <= time).length;
}

function staleness(scenario: Scenario, seen: Array<{ at: number; rev: number }>): { mean: number; max: number } {
  const delays = scenario.changes
    .filter((at) => at <= scenario.horizonMs)
    .map((at, index) => {
      const firstSeen = seen.find((view) => view.rev >= index + 1);
      return (firstSeen ? firstSeen.at : scenario.horizonMs) - at;
    });
  if (delays.length === 0) return { mean: 0, max: 0 };
  return { mean: delays.reduce((sum, delay) => sum + delay, 0) / delays.length, max: Math.max(...delays) };
}

async function withLongPoll(scenario: Scenario, minSpacingMs?: number): Promise<Figures> {
  const clock = new VirtualClock();
  const seen: Array<{ at: number; rev: number }> = [];
  let knownRev: number | null = null;
  const poller = new Poller(
    async (): Promise<PollResult> => {
      await clock.sleep(ROUND_TRIP_MS / 2);
      const start = clock.now;
      if (scenario.outage && start >= scenario.outage[0] && start < scenario.outage[1]) {
        await clock.sleep(ROUND_TRIP_MS / 2);
        return 'failed';
      }
      const baseline = knownRev ?? revAt(scenario, start);
      const holdUntil = knownRev === null ? start : start + MAX_HOLD_MS;
      const nextChange = scenario.changes.find((at, index) => index + 1 > baseline && at > start);
      const final = scenario.finalAt !== undefined && scenario.finalAt <= start;
      const answerAt = final || revAt(scenario, start) > baseline ? start : Math.min(holdUntil, nextChange ?? Infinity);
      await clock.sleep(answerAt - start + ROUND_TRIP_MS / 2);
      const rev = revAt(scenario, answerAt);
      const changed = knownRev === null || rev !== knownRev;
      knownRev = rev;
      seen.push({ at: clock.now, rev });
      if (scenario.finalAt !== undefined && answerAt >= scenario.finalAt) return 'finished';
      return changed ? 'changed' : 'unchanged';
    },
    { timers: clock, now: () => clock.now, ...(minSpacingMs !== undefined ? { minSpacingMs } : {}) },
  );
  poller.start();
  await clock.run(scenario.horizonMs);
  poller.stop();
  const { mean, max } = staleness(scenario, seen);
  return { calls: poller.calls, perMinute: (poller.calls * 60_000) / scenario.horizonMs, meanStalenessMs: mean, maxStalenessMs: max };
}

/** The page a first draft would write: a short getOrder every second, errors or not. */
async function withOneSecondPolling(scenario: Scenario): Promise<Figures> {
  const clock = new VirtualClock();
  const seen: Array<{ at: number; rev: number }> = [];
  let calls = 0;
  let done = false;
  const tick = async (): Promise<void> => {
    if (done) return;
    calls += 1;
    await clock.sleep(ROUND_TRIP_MS);
    const failed = scenario.outage !== undefined && clock.now >= scenario.outage[0] && clock.now < scenario.outage[1];
    if (!failed) {
      seen.push({ at: clock.now, rev: revAt(scenario, clock.now - ROUND_TRIP_MS / 2) });
      if (scenario.finalAt !== undefined && clock.now - ROUND_TRIP_MS / 2 >= scenario.finalAt) done = true;
    }
    if (!done) clock.set(() => void tick(), 1_000);
  };
  void tick();
  await clock.run(scenario.horizonMs);
  done = true;
  const { mean, max } = staleness(scenario, seen);
  return { calls, perMinute: (calls * 60_000) / scenario.horizonMs, meanStalenessMs: mean, maxStalenessMs: max };
}

function every(from: number, to: number, step: number): number[] {
  const times: number[] = [];
  for (let at = from; at <= to; at += step) times.push(at);
  return times;
}

export const SCENARIOS: Scenario[] = [
  {
    // generate flushes output every 250 ms (core OutputWriter); first token after ~2 s.
    name: 'quick answer: paid at 1.5 s, 15 s of output in 250 ms batches',
    changes: [1_500, 2_000, ...every(4_000, 19_000, 250)],
    finalAt: 19_000,
    horizonMs: 60_000,
  },
  {
    name: 'expert answer: first token at 10 s, then 45 s of output in 250 ms batches',
    changes: [1_000, 1_500, ...every(10_000, 55_000, 250)],
    finalAt: 55_000,
    horizonMs: 90_000,
  },
  { name: 'unpaid order left open for 5 minutes', changes: [], horizonMs: 300_000 },
  { name: 'network down for 2 minutes while waiting', changes: [], outage: [0, 120_000], horizonMs: 120_000 },
];

export async function measurePagePolling(): Promise<Array<{ scenario: string; policy: string } & Figures>> {
  const rows: Array<{ scenario: string; policy: string } & Figures> = [];
  for (const scenario of SCENARIOS) {
    rows.push({ scenario: scenario.name, policy: 'the page: long-poll, back-off, calls ≥ 1 s apart', ...(await withLongPoll(scenario)) });
    rows.push({ scenario: scenario.name, policy: 'long-poll, back-off, no spacing', ...(await withLongPoll(scenario, 0)) });
    rows.push({ scenario: scenario.name, policy: 'naive 1 s polling', ...(await withOneSecondPolling(scenario)) });
  }
  return rows;
}

// Run directly (node .build/pagePolling.cjs) it prints the table; imported, it only measures.
if (/pagePolling\.c?js$/.test(process.argv[1] ?? '')) {
  void measurePagePolling().then((rows) => {
    console.log(`order page polling (virtual clock, ${ROUND_TRIP_MS} ms round trip, server holds ≤ ${MAX_HOLD_MS} ms)`);
    console.table(
      rows.map((row) => ({
        scenario: row.scenario,
        policy: row.policy,
        'getOrder calls': row.calls,
        'calls/min': Number(row.perMinute.toFixed(1)),
        'mean staleness ms': Math.round(row.meanStalenessMs),
        'max staleness ms': Math.round(row.maxStalenessMs),
      })),
    );
  });
}
