import { Reveal, SMOOTH_MS } from '../../miniprogram/services/textFlow';
import { VirtualTimers } from './virtualTimers';

/** A reveal on a virtual clock that records when the text on screen changed, and to what. */
function watchedReveal() {
  const clock = new VirtualTimers();
  const shownAt: Array<[number, string]> = [];
  let shown = '';
  const reveal = new Reveal(
    (text) => {
      if (text !== shown) shownAt.push([clock.now, text]);
      shown = text;
    },
    { timers: clock, now: () => clock.now },
  );
  return { clock, reveal, shownAt, shown: () => shown };
}

describe('the order page’s text flow: text the page has is on screen at once', () => {
  const answer = '茶🍵'.repeat(400);

  test('each piece is wholly on screen within 300 ms of reaching the page, the first words at once', () => {
    const { clock, reveal, shownAt, shown } = watchedReveal();
    const pieces: Array<[number, number]> = [
      [3_200, 120],
      [10_200, 360],
      [20_200, 800],
    ];
    for (const [at, units] of pieces) {
      clock.runUntil(at);
      const before = shownAt.length;
      reveal.receive(answer.slice(0, units));
      // Something new is on screen the moment the piece arrives.
      expect(shownAt.length).toBeGreaterThan(before);
      expect(shownAt[shownAt.length - 1]?.[0]).toBe(at);
      clock.runUntil(at + SMOOTH_MS);
      expect(shown()).toBe(answer.slice(0, units));
    }
  });

  test('no step splits a character made of two UTF-16 units', () => {
    const { clock, reveal, shownAt } = watchedReveal();
    reveal.receive(answer);
    clock.runUntil(SMOOTH_MS);
    expect(shownAt.length).toBeGreaterThan(2);
    for (const [, text] of shownAt) expect(/[\uD800-\uDBFF]$/.test(text)).toBe(false);
  });

  test('an answer that is withdrawn (its text cleared) leaves the screen at once', () => {
    const { clock, reveal, shown } = watchedReveal();
    reveal.receive('An answer that will be withheld');
    clock.runUntil(20_000);
    expect(shown()).toBe('An answer that will be withheld');
    reveal.receive('');
    expect(shown()).toBe('');
    clock.runUntil(40_000);
    expect(shown()).toBe('');
  });

  test('a restarted answer replaces the text on screen instead of continuing it', () => {
    const { clock, reveal, shown } = watchedReveal();
    reveal.receive('First model: the answer begins');
    clock.runUntil(20_000);
    expect(shown()).toBe('First model: the answer begins');
    reveal.receive('Second model');
    clock.runUntil(40_000);
    expect(shown()).toBe('Second model');
  });
});
