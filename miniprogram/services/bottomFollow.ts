/**
 * Keeps the conversation page at its bottom while the newest answer is written, the way chat apps
 * do: the growing answer stays in sight until the user scrolls up to read something else, and is
 * followed again once they scroll back down to the bottom. Pure (no `wx`, injectable clock and
 * timers) so that the page and the tests run the same code.
 *
 * The page feeds it WeChat's own page events: `onPageScroll` ({ scrollTop }) and `onReachBottom`
 * (fired when the page is scrolled to within `onReachBottomDistance`, 50 px by default, of its
 * end; WeChat docs: 框架 > 页面 > Page, "onReachBottom", developers.weixin.qq.com/miniprogram/dev/reference/api/Page.html).
 * Neither says whether the user or the page moved it, so an upward move counts as the user's
 * unless the page's own content has just become shorter (a restarted answer clears its text, and
 * the page clamps its scroll position with it).
 */
import { realTimers, type Timers } from './poller';

/** At most one scroll request per this many ms: each is a call across WeChat's bridge. */
export const FOLLOW_INTERVAL_MS = 250;
/** An upward move smaller than this is rounding or the page settling, not the user. */
export const USER_SCROLL_UP_PX = 24;
/** For this long after the page's content shrank, an upward move is the page's, not the user's. */
export const OWN_SHRINK_GRACE_MS = 600;

export interface BottomFollowOptions {
  timers?: Timers;
  now?: () => number;
}

export class BottomFollow {
  private following = false;
  /** The furthest down the page has been scrolled since it last moved up (scrollTop grows downwards). */
  private lowestTop = 0;
  private shrankAt = Number.NEGATIVE_INFINITY;
  private lastScrollAt = Number.NEGATIVE_INFINITY;
  private pending: unknown = null;
  /** The page is hidden: wx.pageScrollTo would move whichever page is shown instead. */
  private hidden = false;
  /** A scroll came due while the page was hidden: it is sent when the page shows again. */
  private owed = false;
  private readonly timers: Timers;
  private readonly now: () => number;

  /** `scrollToBottom` asks the page to scroll to its end (wx.pageScrollTo). */
  constructor(
    private readonly scrollToBottom: () => void,
    options: BottomFollowOptions = {},
  ) {
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => Date.now());
  }

  get isFollowing(): boolean {
    return this.following;
  }

  /** A question was just asked: its answer is followed from the start. */
  follow(): void {
    this.following = true;
    this.scrollNow();
  }

  /** The page is gone: nothing more is followed or sent. */
  stop(): void {
    this.following = false;
    this.owed = false;
    this.cancelPending();
  }

  /**
   * The page is hidden. Nothing is sent until it shows again (text may still arrive meanwhile: a
   * call already in flight settles), and a scroll that comes due is kept for then.
   */
  pause(): void {
    this.hidden = true;
    if (this.pending !== null) this.owed = true;
    this.cancelPending();
  }

  /** The page shows again: the scroll it is owed, if it still follows the answer, is sent now. */
  resume(): void {
    this.hidden = false;
    const owed = this.owed;
    this.owed = false;
    if (owed && this.following) this.scrollNow();
  }

  /** The newest answer's text on screen grew: stay at the bottom if the user is there. */
  contentGrew(): void {
    if (!this.following || this.pending !== null) return;
    if (this.hidden) {
      this.owed = true;
      return;
    }
    const wait = this.lastScrollAt + FOLLOW_INTERVAL_MS - this.now();
    if (wait <= 0) {
      this.scrollNow();
      return;
    }
    this.pending = this.timers.set(() => {
      this.pending = null;
      if (this.following) this.scrollNow();
    }, wait);
  }

  /** The page's own content became shorter (a restarted answer): the next upward move is not the user's. */
  contentShrank(): void {
    this.shrankAt = this.now();
  }

  /**
   * WeChat's onPageScroll. A finger or a wheel moves the page in many small steps, so an upward
   * move is measured from the lowest point reached, not from the previous event.
   */
  pageScrolled(scrollTop: number): void {
    if (this.now() - this.shrankAt <= OWN_SHRINK_GRACE_MS) {
      this.lowestTop = scrollTop;
      return;
    }
    if (scrollTop < this.lowestTop - USER_SCROLL_UP_PX) {
      this.following = false;
      this.cancelPending();
      this.lowestTop = scrollTop;
      return;
    }
    this.lowestTop = Math.max(this.lowestTop, scrollTop);
  }

  /** WeChat's onReachBottom: the user is back at the end, so a live answer is followed again. */
  reachedBottom(answerLive: boolean): void {
    if (answerLive) this.following = true;
  }

  private scrollNow(): void {
    this.cancelPending();
    if (this.hidden) {
      this.owed = true;
      return;
    }
    this.lastScrollAt = this.now();
    this.scrollToBottom();
  }

  private cancelPending(): void {
    if (this.pending === null) return;
    this.timers.clear(this.pending);
    this.pending = null;
  }
}
