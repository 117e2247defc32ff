import { delayBeforeNextPoll, Poller, pollResult, type PollResult } from '../../miniprogram/services/poller';
import { VirtualTimers } from './virtualTimers';

function scriptedPoll(results: PollResult[]) {
  let inFlight = 0;
  let maxInFlight = 0;
  const poll = async (): Promise<PollResult> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await Promise.resolve();
    inFlight -= 1;
    const result = results.shift();
    if (result === undefined) throw new Error('the poller asked more than the script holds');
    return result;
  };
  return { poll, maxInFlight: () => maxInFlight };
}

describe('polling policy', () => {
  test('waits 0 s after a change, then 1 s, 2 s, 4 s while nothing changes, and resets on change', async () => {
    const timers = new VirtualTimers();
    const script = scriptedPoll(['changed', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'changed', 'unchanged', 'finished']);
    const poller = new Poller(script.poll, { timers, now: () => timers.now, minSpacingMs: 0 });
    poller.start();
    const waits: number[] = [];
    while (timers.scheduled.length > 0) waits.push(await timers.fireNext());
    // The first wait is the start; each later one follows the previous poll's result.
    expect(waits).toEqual([0, 0, 1_000, 2_000, 4_000, 4_000, 0, 1_000]);
    expect(poller.calls).toBe(8);
    expect(poller.running).toBe(false);
    expect(script.maxInFlight()).toBe(1);
  });

  test('while text streams, calls start at least a second apart; a long-poll that was held needs no extra wait', async () => {
    const timers = new VirtualTimers();
    // Each step: how long the server holds the call (virtual ms), and what it found.
    const steps: Array<[number, PollResult]> = [[50, 'changed'], [250, 'changed'], [3_000, 'changed'], [3_000, 'unchanged'], [900, 'changed'], [0, 'finished']];
    const starts: number[] = [];
    const poller = new Poller(
      () => {
        starts.push(timers.now);
        const [holdMs, result] = steps.shift() ?? [0, 'finished'];
        return new Promise<PollResult>((resolve) => timers.set(() => resolve(result), holdMs));
      },
      { timers, now: () => timers.now },
    );
    poller.start();
    while (timers.scheduled.length > 0) await timers.fireNext();
    expect(starts).toEqual([0, 1_000, 2_000, 5_000, 9_000, 10_000]);
    // start → +1 s (answered after 50 ms) → +1 s (after 250 ms) → +3 s (held 3 s, then at once)
    // → 8 s + 1 s back-off (nothing changed) → 9.9 s + 0.1 s to keep the spacing.
  });

  test('failures back off on their own ladder up to 8 s, so errors never become a storm', () => {
    expect([1, 2, 3, 4, 5, 9].map((failures) => delayBeforeNextPoll('failed', 0, failures))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(delayBeforeNextPoll('changed', 7, 3)).toBe(0);
  });

  test('stop cancels the pending poll; start again begins at once; start while running is a no-op', async () => {
    const timers = new VirtualTimers();
    const script = scriptedPoll(['unchanged', 'unchanged', 'finished']);
    const poller = new Poller(script.poll, { timers, now: () => timers.now });
    poller.start();
    poller.start();
    expect(timers.scheduled).toEqual([0]);
    await timers.fireNext();
    expect(timers.scheduled).toEqual([1_000]);
    poller.stop();
    expect(timers.scheduled).toEqual([]);
    poller.start();
    expect(timers.scheduled).toEqual([0]);
    await timers.fireNext();
    await timers.fireNext();
    expect(poller.running).toBe(false);
    expect(poller.calls).toBe(3);
  });

  test('starting while a call is in flight waits for it instead of starting a second one; hurrying makes the next call immediate', async () => {
    const timers = new VirtualTimers();
    let release: (result: PollResult) => void = () => undefined;
    let calls = 0;
    const poller = new Poller(
      () =>
        new Promise<PollResult>((resolve) => {
          calls += 1;
          release = resolve;
        }),
      { timers, now: () => timers.now },
    );
    poller.start();
    await timers.fireNext();
    expect(poller.busy).toBe(true);
    poller.stop();
    poller.start();
    poller.hurry();
    expect(timers.scheduled).toEqual([]);
    release('changed');
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    expect(timers.scheduled).toEqual([0]);
    expect(calls).toBe(1);
  });

  test('one visit makes a bounded number of calls', async () => {
    const timers = new VirtualTimers();
    const poller = new Poller(async () => 'unchanged', { timers, maxCalls: 5 });
    poller.start();
    while (timers.scheduled.length > 0) await timers.fireNext();
    expect(poller.calls).toBe(5);
    expect(poller.running).toBe(false);
  });

  test('a long-poll that brought nothing backs off only when nothing is expected: not while the answer is written, nor right after paying', () => {
    expect(pollResult(true, 'generating', false)).toBe('changed');
    expect(pollResult(false, 'generating', false)).toBe('expecting');
    expect(pollResult(false, 'paid', false)).toBe('expecting');
    expect(pollResult(false, 'pending_payment', true)).toBe('expecting');
    expect(pollResult(false, 'pending_payment', false)).toBe('unchanged');
    expect(pollResult(false, 'refunding', false)).toBe('unchanged');
    // Expecting news, the next call follows at once (each call waits for the news itself, up to 3 s).
    expect(delayBeforeNextPoll('expecting', 3, 0)).toBe(0);
  });
});
