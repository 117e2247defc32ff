import type { FunctionInstance } from './realm';

/**
 * A call that finds every instance busy waits this long for one to come free before another is
 * started: a short call frees its instance sooner than a new one could load.
 */
const GROW_AFTER_MS = 200;

/**
 * The instances of one function. SCF runs one request per instance at a time and starts a new
 * instance when every warm one is busy; an idle instance is reused (the most recently used first,
 * as it is the warmest). Locally the number of instances per function is bounded: an instance is a
 * realm that loads the whole SDK (about a third of a CPU-second each), so past the bound a call
 * waits in line for the next instance to come free instead of starting another (docs/LOCAL-RUNTIME.md,
 * "How the emulator differs from CloudBase").
 */
export class FunctionPool {
  private readonly all = new Set<FunctionInstance>();
  private readonly idle: FunctionInstance[] = [];
  private readonly waiting: { resolve: (placed: Placed) => void; reject: (error: Error) => void }[] = [];
  private starting = false;
  private growth: NodeJS.Timeout | null = null;

  constructor(
    private readonly startInstance: () => Promise<FunctionInstance>,
    readonly maxInstances: number,
  ) {}

  /**
   * An idle instance (warm), or a place in line for the next one: an instance that comes free, or
   * a new one (cold). The first instance starts at once; further ones one at a time, and only for
   * calls that have waited GROW_AFTER_MS, so that a burst of calls is served by the instances that
   * free up meanwhile rather than by a burst of starts (each costs a third of a CPU-second or more
   * on this machine; SCF has the whole region's).
   */
  acquire(): Promise<Placed> {
    const warm = this.idle.pop();
    if (warm) return Promise.resolve({ instance: warm, cold: false });
    const placed = new Promise<Placed>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (this.all.size === 0) this.grow();
    else
      this.growth ??= setTimeout(() => {
        this.growth = null;
        this.grow();
      }, GROW_AFTER_MS);
    return placed;
  }

  /** A loaded instance started outside any call (prewarm): idle, or straight to a call in line. */
  adopt(instance: FunctionInstance): void {
    this.all.add(instance);
    this.release(instance);
  }

  /** The instance is frozen and free again: the next call in line gets it, or it waits, idle. */
  release(instance: FunctionInstance): void {
    if (!instance.alive) return this.forget(instance);
    const next = this.waiting.shift();
    if (next) next.resolve({ instance, cold: false });
    else this.idle.push(instance);
  }

  /** The instance is gone; a call in line may get a new one in its place. */
  forget(instance: FunctionInstance): void {
    this.all.delete(instance);
    const at = this.idle.indexOf(instance);
    if (at >= 0) this.idle.splice(at, 1);
    this.grow();
  }

  instances(): FunctionInstance[] {
    return [...this.all];
  }

  /** How many calls wait for an instance. */
  get queued(): number {
    return this.waiting.length;
  }

  close(reason: Error): void {
    if (this.growth) clearTimeout(this.growth);
    for (const instance of this.all) instance.terminate(reason);
    for (const waiter of this.waiting.splice(0)) waiter.reject(reason);
  }

  /** Starts one more instance when calls wait, none is starting and the bound allows. */
  private grow(): void {
    if (this.starting || this.waiting.length === 0 || this.all.size >= this.maxInstances) return;
    this.starting = true;
    this.startInstance().then(
      (instance) => {
        this.starting = false;
        this.all.add(instance);
        const next = this.waiting.shift();
        if (next) next.resolve({ instance, cold: true });
        else this.idle.push(instance);
        this.grow();
      },
      (error: unknown) => {
        this.starting = false;
        // The call this start was for learns why; the next one in line tries again.
        this.waiting.shift()?.reject(error instanceof Error ? error : new Error(String(error)));
        this.grow();
      },
    );
  }
}

export interface Placed {
  instance: FunctionInstance;
  /** A new instance: this call is its first (a cold start). */
  cold: boolean;
}
