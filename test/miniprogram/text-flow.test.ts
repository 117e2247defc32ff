import { Reveal } from '../../miniprogram/services/textFlow';
import { VirtualTimers } from './virtualTimers';

function largestGap(times: number[]): number {
  return times.slice(1).reduce((gap, at, i) => Math.max(gap, at - (times[i] as number)), 0);
}

/** A reveal on a virtual clock that records when the text on screen changed. */
function watchedReveal() {
  const clock = new VirtualTimers();
  const shownAt: number[] = [];
  let shown = '';
  const reveal = new Reveal(
    (text) => {
      if (text !== shown) shownAt.push(clock.now);
      shown = text;
    },
    { timers: clock, now: () => clock.now },
  );
  return { clock, reveal, shownAt, shown: () => shown };
}

describe('the order page’s text flow', () => {
  // What content security does to an answer at about 50 characters a second: checked pieces of
  // 120, 240 and 480 characters reach the page 3, 10 and 20 s after payment (measured by the bench).
  const answer = '茶'.repeat(931);
  const pieces: Array<[number, number, boolean]> = [
    [3_200, 116, false],
    [10_200, 355, false],
    [20_200, 931, true],
  ];

  test('text that arrives in checked pieces seconds apart keeps moving: never a pause over 1.5 s', () => {
    const { clock, reveal, shownAt, shown } = watchedReveal();
    for (const [at, chars, complete] of pieces) {
      clock.runUntil(at);
      reveal.receive(answer.slice(0, chars), complete);
    }
    clock.runUntil(30_000);
    expect(shown()).toBe(answer);
    // The first words at once, then a step at least every 1.5 s until the whole answer is shown.
    expect(shownAt[0]).toBe(3_200);
    expect(largestGap(shownAt)).toBeLessThanOrEqual(1_500);
  });

  test('once the answer is complete, what is held is on screen within a second', () => {
    const { clock, reveal, shown } = watchedReveal();
    reveal.receive(answer.slice(0, 116), false);
    clock.runUntil(1_000);
    reveal.receive(answer, true);
    clock.runUntil(1_000 + 1_000);
    expect(shown()).toBe(answer);
  });

  test('text that arrives every long-poll is shown within a few seconds, not left to pile up', () => {
    const { clock, reveal, shown } = watchedReveal();
    const long = 'tea '.repeat(500);
    // 150 characters every 3.6 s for 36 s, never complete: by the next long-poll, less than one
    // long-poll's worth is still held back.
    for (let n = 1; n <= 10; n += 1) {
      clock.runUntil(n * 3_600);
      reveal.receive(long.slice(0, n * 150), false);
    }
    clock.runUntil(10 * 3_600 + 3_600);
    expect(1_500 - shown().length).toBeLessThan(150);
  });

  test('an answer that is withdrawn (its text cleared) leaves the screen at once', () => {
    const { clock, reveal, shown } = watchedReveal();
    reveal.receive('An answer that will be withheld', false);
    clock.runUntil(20_000);
    expect(shown()).toBe('An answer that will be withheld');
    reveal.receive('', false);
    expect(shown()).toBe('');
    clock.runUntil(40_000);
    expect(shown()).toBe('');
  });

  test('a restarted answer replaces the text on screen instead of continuing it', () => {
    const { clock, reveal, shown } = watchedReveal();
    reveal.receive('First model: the answer begins', false);
    clock.runUntil(20_000);
    expect(shown()).toBe('First model: the answer begins');
    reveal.receive('Second model', false);
    clock.runUntil(40_000);
    expect(shown()).toBe('Second model');
  });
});
