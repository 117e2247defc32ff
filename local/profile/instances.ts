/**
 * Which SCF instance serves each invocation, as the platform schedules them, for the latency
 * profile. On SCF an instance runs one request at a time: a call that finds every warm instance of
 * its function busy gets a new instance, which starts cold; an instance idle for a while (3–5
 * minutes, https://www.tencentcloud.com/document/product/583/69578) is destroyed.
 *
 * The local host runs real instances (local/functions/host.ts, one invocation each at a time) but
 * never recycles them. This pool decides, call by call, whether the cloud would have served it
 * from a warm instance or started a new one, and the host then waits the modelled cold start before
 * running it. What this models: cold starts per function, per concurrent call and after idle
 * recycling. What it does not: memory or CPU limits of an instance.
 */

interface VirtualInstance {
  busy: boolean;
  lastUsedAt: number;
}

export interface Placement {
  cold: boolean;
  /** Hands the instance back (idle from now on). */
  release(): void;
}

export class InstancePool {
  private readonly byFunction = new Map<string, VirtualInstance[]>();
  readonly coldStarts = new Map<string, number>();

  constructor(
    private readonly keepWarmMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** An idle warm instance of the function (the most recently used, as schedulers prefer), or a new one. */
  place(functionName: string): Placement {
    const at = this.now();
    const alive = (this.byFunction.get(functionName) ?? []).filter((instance) => instance.busy || at - instance.lastUsedAt < this.keepWarmMs);
    this.byFunction.set(functionName, alive);
    let instance = alive.filter((candidate) => !candidate.busy).sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0];
    const cold = !instance;
    if (!instance) {
      instance = { busy: false, lastUsedAt: at };
      alive.push(instance);
      this.coldStarts.set(functionName, (this.coldStarts.get(functionName) ?? 0) + 1);
    }
    const held = instance;
    held.busy = true;
    return {
      cold,
      release: () => {
        held.busy = false;
        held.lastUsedAt = this.now();
      },
    };
  }

  /** One warm idle instance of the function, as provisioned concurrency or a warm-up call keeps it. */
  keepWarm(functionName: string): void {
    this.place(functionName).release();
  }

  /** Every idle instance is gone, as after the keep-warm window: the next call of each function starts cold. */
  recycleIdle(): number {
    let recycled = 0;
    for (const [name, instances] of this.byFunction) {
      const busy = instances.filter((instance) => instance.busy);
      recycled += instances.length - busy.length;
      this.byFunction.set(name, busy);
    }
    return recycled;
  }

  /** Instances alive (busy or warm) per function. */
  counts(): Record<string, number> {
    const at = this.now();
    return Object.fromEntries([...this.byFunction].map(([name, instances]) => [name, instances.filter((i) => i.busy || at - i.lastUsedAt < this.keepWarmMs).length]));
  }
}
