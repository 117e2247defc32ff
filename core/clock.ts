/**
 * Time as the functions see it. Every reading of the time and every wait in core goes through a
 * Clock taken from the context, so that the same code runs on the wall clock in the cloud and on a
 * virtual clock in the in-process tests (which then never sleep in real time).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves once `ms` have passed. */
  sleep(ms: number): Promise<void>;
  /** Calls `onTime` once `ms` have passed, unless the returned cancel is called first. */
  after(ms: number, onTime: () => void): () => void;
}

/** The wall clock and Node's timers: what every function uses in production. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  after(ms, onTime) {
    const timer = setTimeout(onTime, ms);
    return () => clearTimeout(timer);
  },
};
