import { BottomFollow, FOLLOW_INTERVAL_MS, OWN_SHRINK_GRACE_MS } from '../../miniprogram/services/bottomFollow';
import { VirtualTimers } from './virtualTimers';

function followed() {
  const clock = new VirtualTimers();
  const scrolls: number[] = [];
  const bottom = new BottomFollow(() => scrolls.push(clock.now), { timers: clock, now: () => clock.now });
  return { clock, scrolls, bottom };
}

describe('the conversation keeps the answer being written in sight', () => {
  test('after a question is asked, the page goes to its end and stays there as the answer grows, at most one scroll request per 250 ms', () => {
    const { clock, scrolls, bottom } = followed();
    clock.runUntil(1_000);
    bottom.follow();
    expect(scrolls).toEqual([1_000]);
    // Text arrives every 50 ms for two seconds.
    for (let at = 1_050; at <= 3_000; at += 50) {
      clock.runUntil(at);
      bottom.contentGrew();
      bottom.pageScrolled(at); // the page's own scroll, always downwards
    }
    clock.runUntil(3_500);
    expect(scrolls.length).toBeGreaterThanOrEqual(8);
    const gaps = scrolls.slice(1).map((at, index) => at - (scrolls[index] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(FOLLOW_INTERVAL_MS);
    // The last growth is followed too, not dropped by the pacing.
    expect(scrolls[scrolls.length - 1]).toBeGreaterThanOrEqual(3_000);
  });

  test('a user who scrolls up to read is left where they are until they come back to the bottom', () => {
    const { clock, scrolls, bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(1_200);
    clock.runUntil(1_000);
    bottom.pageScrolled(900); // the user's finger
    const before = scrolls.length;
    for (let at = 1_100; at <= 3_000; at += 100) {
      clock.runUntil(at);
      bottom.contentGrew();
    }
    expect(scrolls.length).toBe(before);
    expect(bottom.isFollowing).toBe(false);
    // Back at the end while the answer is still written: followed again.
    bottom.reachedBottom(true);
    clock.runUntil(3_500);
    bottom.contentGrew();
    expect(scrolls.length).toBe(before + 1);
  });

  test('a finger or wheel that scrolls up in many small steps is the user scrolling away', () => {
    const { bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(1_000);
    for (let top = 990; top >= 900; top -= 10) bottom.pageScrolled(top);
    expect(bottom.isFollowing).toBe(false);
  });

  test('reaching the bottom once the answer is finished does not start following again', () => {
    const { bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(1_000);
    bottom.pageScrolled(500);
    bottom.reachedBottom(false);
    expect(bottom.isFollowing).toBe(false);
  });

  test('a small upward settle is not the user scrolling away', () => {
    const { bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(1_000);
    bottom.pageScrolled(990);
    expect(bottom.isFollowing).toBe(true);
  });

  test("an answer restarted on another model shortens the page; the scroll position it clamps is the page's, so the new answer is still followed", () => {
    const { clock, scrolls, bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(2_000);
    clock.runUntil(5_000);
    bottom.contentShrank();
    clock.runUntil(5_040);
    bottom.pageScrolled(400);
    expect(bottom.isFollowing).toBe(true);
    clock.runUntil(5_100);
    bottom.contentGrew();
    expect(scrolls[scrolls.length - 1]).toBe(5_100);
    // Later, an upward move is the user's again.
    clock.runUntil(5_000 + OWN_SHRINK_GRACE_MS + 100);
    bottom.pageScrolled(100);
    expect(bottom.isFollowing).toBe(false);
  });

  test('while the page is hidden no scroll request is sent (wx.pageScrollTo would move the page on top); the one that came due is sent when it shows again', () => {
    const { clock, scrolls, bottom } = followed();
    bottom.follow();
    clock.runUntil(100);
    bottom.contentGrew(); // paced: due at 250
    bottom.pause();
    clock.runUntil(2_000);
    // Text that arrives while hidden (a call already in flight), and a question asked meanwhile, send nothing either.
    bottom.contentGrew();
    bottom.follow();
    clock.runUntil(3_000);
    expect(scrolls).toEqual([0]);
    // Shown again: the owed scroll, once.
    clock.runUntil(3_500);
    bottom.resume();
    expect(scrolls).toEqual([0, 3_500]);
    bottom.resume();
    expect(scrolls).toEqual([0, 3_500]);
  });

  test('a page hidden with a scroll pending still reaches the end of the answer when it shows again, even if no text arrives after', () => {
    const { clock, scrolls, bottom } = followed();
    bottom.follow();
    clock.runUntil(100);
    bottom.contentGrew(); // the last piece: paced to 250
    bottom.pause();
    clock.runUntil(5_000);
    bottom.resume();
    expect(scrolls).toEqual([0, 5_000]);
  });

  test('shown again after the user had scrolled away, the page stays where they left it', () => {
    const { clock, scrolls, bottom } = followed();
    bottom.follow();
    bottom.pageScrolled(1_000);
    bottom.pageScrolled(600);
    clock.runUntil(100);
    bottom.contentGrew();
    bottom.pause();
    bottom.resume();
    expect(scrolls).toEqual([0]);
  });
});
