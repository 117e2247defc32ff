import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, isFunctionName } from '../../core/functions/catalog';
import type { ApiCounters } from '../cloudbase/dispatcher';
import { sleep, type DelaySource } from '../profile/cloudProfile';
import type { InstancePool } from '../profile/instances';
import { invocationEnv, type Caller, type InvocationCredentials } from './callers';
import { asFailure, InvocationFailure } from './failure';
import { FunctionPool, type Placed } from './pool';
import { FunctionInstance, type RealmOptions } from './realm';
import { orderKeys, UsageLedger } from './usage';

export interface FunctionConfig {
  timeout?: number;
  triggers?: { name: string; type: string; config: string }[];
  permissions?: { openapi?: string[] };
}

export interface Invocation {
  id: string;
  functionName: string;
  caller: Caller;
  startedAt: number;
  credentials: InvocationCredentials;
}

export interface FunctionHostOptions extends RealmOptions {
  functionsDir: string;
  envId: string;
  /** At most this many instances of one function at a time; further calls wait in line (default 4). */
  maxInstancesPerFunction?: number;
  /** The cloud latency profile: cold starts of new instances (local/profile). Absent: every call runs at once. */
  profile?: { delays: DelaySource; pool: InstancePool };
  /** What an invocation asked of CloudBase (the dispatcher's counts), read when it ends. */
  counters?: (invocationId: string) => ApiCounters | undefined;
}

/** The memory a function is configured with (the catalog; CloudBase's default 256 MB otherwise). */
export function memoryMbOf(name: string): number {
  return isFunctionName(name) ? FUNCTIONS[name].memoryMb : 256;
}

const DEFAULT_MAX_INSTANCES = 4;
/**
 * Credentials stay valid after their invocation ends, as SCF's temporary credentials do: a request
 * a frozen instance sent before it froze is answered. The most recent ones are kept.
 */
const KEPT_CREDENTIALS = 20_000;

/**
 * Hosts the built cloud functions (cloudfunctions/<name>/index.js) as SCF runs them: each function
 * a pool of instances (./pool.ts), each instance serving one invocation at a time and frozen in
 * between (./instance.ts); each invocation with its caller's variables (callers.ts) and its
 * config.json time limit. At the limit the caller gets the platform's timeout error and the
 * instance is frozen where it stands, its handler still pending: it may resume during the
 * instance's next invocation. A killed invocation (the chaos faults) takes its instance with it.
 */
export class FunctionHost {
  readonly configs = new Map<string, FunctionConfig>();
  private readonly bundles = new Map<string, string>();
  private readonly pools = new Map<string, FunctionPool>();
  private readonly running = new Map<Invocation, FunctionInstance>();
  private readonly bySecretId = new Map<string, Invocation>();
  private readonly stopListeners = new Map<Invocation, (failure: InvocationFailure) => void>();
  private closed = false;
  invocationCount = 0;
  readonly countsByFunction = new Map<string, number>();
  /** Invocations stopped from outside (kill, or the chaos fault that kills workers). */
  killedCount = 0;
  /** Invocations that ran into their time limit. */
  timedOutCount = 0;
  /** Handlers of timed-out invocations that settled later, during another invocation of their instance. */
  lateSettledCount = 0;
  /** Called as each invocation starts (the runtime's worker faults use it). */
  onInvocationStart: ((invocation: Invocation, event: unknown) => void) | null = null;
  /** Per invocation: operations, wall and CPU time, memory, cold start, order keys. */
  readonly usage = new UsageLedger();
  /** Each function's bundle load time, measured when its first instance started. */
  readonly loadMs = new Map<string, number>();

  constructor(private readonly options: FunctionHostOptions) {}

  load(): void {
    for (const name of readdirSync(this.options.functionsDir)) {
      const bundle = join(this.options.functionsDir, name, 'index.js');
      if (!existsSync(bundle)) continue;
      // An HTTP function runs on @cloudbase/functions-framework (local/functions/httpFunctions.ts), not in a realm.
      if (existsSync(join(this.options.functionsDir, name, 'scf_bootstrap'))) continue;
      const configPath = join(this.options.functionsDir, name, 'config.json');
      this.configs.set(name, existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as FunctionConfig) : {});
      this.bundles.set(name, bundle);
    }
    if (this.bundles.size === 0) throw new Error(`no built cloud functions in ${this.options.functionsDir}: run npm run build`);
  }

  /** Starts one instance of every function, so the first calls find them warm (no call waits for them: no time limit). */
  async prewarm(oneByOne = false): Promise<void> {
    const warm = async (name: string) => {
      const pool = this.pool(name);
      pool.adopt(await this.loadInstance(name, pool));
    };
    // One by one, each bundle's measured load time is its own, not shared with nine others starting at once.
    if (oneByOne) for (const name of this.names()) await warm(name);
    else await Promise.all(this.names().map(warm));
  }

  has(name: string): boolean {
    return this.bundles.has(name);
  }

  names(): string[] {
    return [...this.bundles.keys()];
  }

  /** The Node versions the running instances are on. */
  async nodeVersions(): Promise<string[]> {
    return [...new Set([...this.pools.values()].flatMap((pool) => pool.instances().map((instance) => instance.node)))];
  }

  /** Instances per function, and calls waiting for one. */
  instanceCounts(): Record<string, { instances: number; queued: number }> {
    return Object.fromEntries([...this.pools].map(([name, pool]) => [name, { instances: pool.instances().length, queued: pool.queued }]));
  }

  /** The invocation these credentials were issued to (the CloudBase emulation authenticates with it). */
  invocationFor(secretId: string): Invocation | undefined {
    return this.bySecretId.get(secretId);
  }

  /** Runs one invocation; throws an InvocationFailure when it did not answer (./failure.ts). */
  async invoke(name: string, event: unknown, caller: Caller): Promise<unknown> {
    if (!this.bundles.has(name) || this.closed) throw new InvocationFailure('error', `unknown cloud function ${name}`);
    // The cloud profile: a call that finds no idle warm instance waits for a new one (a cold start:
    // the platform's part, drawn, plus this bundle's own measured load time). The invocation's
    // time limit and its billed time start after it, as SCF's initialisation is separate.
    const placement = this.options.profile?.pool.place(name);
    let coldStartMs = 0;
    if (placement?.cold && this.options.profile) {
      coldStartMs = this.options.profile.delays.draw('coldStart') + (this.loadMs.get(name) ?? 0);
      await sleep(coldStartMs);
    }
    try {
      return await this.run(name, event, caller, placement?.cold, coldStartMs);
    } finally {
      placement?.release();
    }
  }

  private async run(name: string, event: unknown, caller: Caller, modelledCold: boolean | undefined, coldStartMs: number): Promise<unknown> {
    const seconds = this.configs.get(name)?.timeout ?? 3;
    const timeoutMs = seconds * 1000;
    const pool = this.pool(name);
    const placed = await this.place(pool);
    const { instance } = placed;
    const invocation = this.beginInvocation(name, caller);
    this.running.set(invocation, instance);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(InvocationFailure.timeout(seconds)), timeoutMs);
    });
    const stopped = new Promise<never>((_, reject) => {
      this.stopListeners.set(invocation, reject);
    });
    const started = performance.now();
    let result: unknown;
    let ok = false;
    let cpuMs: number | null = null;
    try {
      this.onInvocationStart?.(invocation, event);
      const answer = await Promise.race([instance.run(this.message(invocation, event, timeoutMs)), limit, stopped]);
      cpuMs = answer.cpuMs;
      result = answer.value;
      ok = true;
      return result;
    } catch (error) {
      cpuMs = (error as { cpuMs?: number | null }).cpuMs ?? null;
      const failure = error instanceof InvocationFailure ? error : new InvocationFailure(instance.alive ? 'error' : 'stopped', asFailure(error).message);
      if (failure.kind === 'timeout') this.timedOutCount += 1;
      throw failure;
    } finally {
      clearTimeout(timer);
      this.running.delete(invocation);
      this.stopListeners.delete(invocation);
      // At a time limit the instance is frozen with its handler pending, then free for the next call.
      void instance.freezeFor(invocation.id).then(() => pool.release(instance));
      this.record(invocation, event, result, { ok, cold: modelledCold ?? placed.cold, coldStartMs, wallMs: performance.now() - started, cpuMs });
    }
  }

  /**
   * An instance for the call: a warm one, the next to come free, or a new one. Waiting in line is
   * not part of the invocation (SCF would have started an instance: docs/LOCAL-RUNTIME.md).
   */
  private async place(pool: FunctionPool): Promise<Placed> {
    try {
      return await pool.acquire();
    } catch (error) {
      throw asFailure(error);
    }
  }

  private message(invocation: Invocation, event: unknown, timeoutMs: number) {
    const env = invocationEnv(invocation.caller, this.options.envId, invocation.credentials, invocation.id);
    return {
      id: invocation.id,
      event: JSON.parse(JSON.stringify(event ?? {})) as unknown,
      // The handler's second argument, as SCF passes it (the fields @cloudbase/node-sdk's parseContext reads).
      context: {
        request_id: invocation.id,
        function_name: invocation.functionName,
        function_version: '$LATEST',
        namespace: this.options.envId,
        memory_limit_in_mb: memoryMbOf(invocation.functionName),
        time_limit_in_ms: timeoutMs,
        environment: JSON.stringify(env),
      },
      env,
    };
  }

  private record(invocation: Invocation, event: unknown, result: unknown, run: { ok: boolean; cold: boolean; coldStartMs: number; wallMs: number; cpuMs: number | null }): void {
    const counts = this.options.counters?.(invocation.id);
    const memoryMb = memoryMbOf(invocation.functionName);
    this.usage.add({
      id: invocation.id,
      functionName: invocation.functionName,
      source: invocation.caller.source,
      startedAt: invocation.startedAt,
      wallMs: run.wallMs,
      coldStartMs: run.coldStartMs,
      cold: run.cold,
      cpuMs: run.cpuMs,
      memoryMb,
      computeGBs: (memoryMb / 1024) * (run.wallMs / 1000),
      ok: run.ok,
      dbReads: counts?.dbReads ?? 0,
      dbWrites: counts?.dbWrites ?? 0,
      functionCalls: counts?.functionCalls ?? 0,
      openapiCalls: counts?.openapiCalls ?? 0,
      payCalls: counts?.payCalls ?? 0,
      keys: orderKeys(event, result),
    });
  }

  /** A new invocation of `name`, with the credentials the CloudBase emulation accepts, counted and remembered. */
  private beginInvocation(name: string, caller: Caller): Invocation {
    const id = randomUUID();
    const invocation: Invocation = {
      id,
      functionName: name,
      caller,
      startedAt: Date.now(),
      credentials: { secretId: `AKIDlocal${id.replace(/-/g, '')}`, secretKey: randomBytes(24).toString('base64url'), sessionToken: id },
    };
    this.invocationCount += 1;
    this.countsByFunction.set(name, (this.countsByFunction.get(name) ?? 0) + 1);
    this.remember(invocation);
    return invocation;
  }

  private remember(invocation: Invocation): void {
    this.bySecretId.set(invocation.credentials.secretId, invocation);
    if (this.bySecretId.size > KEPT_CREDENTIALS) this.bySecretId.delete(this.bySecretId.keys().next().value as string);
  }

  /** The function's pool of instances, made on first use. */
  private pool(name: string): FunctionPool {
    let pool = this.pools.get(name);
    if (!pool) {
      const made: FunctionPool = new FunctionPool(() => this.startInstance(name, made), this.options.maxInstancesPerFunction ?? DEFAULT_MAX_INSTANCES);
      pool = made;
      this.pools.set(name, pool);
    }
    return pool;
  }

  /**
   * A new instance, loaded. SCF initialises an instance before it runs an invocation, outside the
   * invocation's time limit; the load has a limit of the same length, and an instance that does not
   * load within it fails the call that was waiting for it with the platform's timeout.
   */
  private async startInstance(name: string, pool: FunctionPool): Promise<FunctionInstance> {
    const seconds = this.configs.get(name)?.timeout ?? 3;
    const starting = this.loadInstance(name, pool);
    let timer: NodeJS.Timeout | undefined;
    const tooSlow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(InvocationFailure.timeout(seconds)), seconds * 1000);
    });
    try {
      return await Promise.race([starting, tooSlow]);
    } catch (error) {
      starting.then((late) => late.terminate(new Error(`${name} did not load in time`)), () => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadInstance(name: string, pool: FunctionPool): Promise<FunctionInstance> {
    const instance = await FunctionInstance.start(name, this.bundles.get(name) as string, this.options, {
      died: (gone) => pool.forget(gone),
      lateSettled: () => {
        this.lateSettledCount += 1;
      },
    });
    if (!this.loadMs.has(name)) this.loadMs.set(name, instance.loadMs);
    return instance;
  }

  /** Stops every running invocation of a function (a worker killed mid-stream). */
  kill(name: string): number {
    let killed = 0;
    for (const invocation of [...this.running.keys()]) {
      if (invocation.functionName === name && this.stop(invocation)) killed += 1;
    }
    return killed;
  }

  /** Stops one invocation if it is still running, and its instance with it; true when it was. */
  stop(invocation: Invocation): boolean {
    const instance = this.running.get(invocation);
    if (!instance) return false;
    this.killedCount += 1;
    this.stopListeners.get(invocation)?.(new InvocationFailure('stopped', `${invocation.functionName} was killed`));
    instance.terminate(new Error(`${invocation.functionName} was killed`));
    return true;
  }

  /**
   * Ends one invocation now as its time limit would (the chaos faults: a limit reached early): its
   * caller gets the platform's timeout error and its instance is frozen with the handler pending.
   * True when it was still running.
   */
  expire(invocation: Invocation): boolean {
    if (!this.running.has(invocation)) return false;
    this.stopListeners.get(invocation)?.(InvocationFailure.timeout(this.configs.get(invocation.functionName)?.timeout ?? 3));
    return true;
  }

  /**
   * An invocation that runs outside this host's instances: one connection to an HTTP function,
   * served by @cloudbase/functions-framework (local/functions/httpFunctions.ts). It gets credentials
   * the CloudBase emulation accepts (valid afterwards too, as SCF's temporary credentials are), is
   * counted and recorded like any other, and is over when `end` is called or it outlives its
   * config.json time limit, as SCF stops it.
   */
  beginExternal(name: string, caller: Caller, event: unknown, limit: { timeoutMs: number; onTimeout: () => void }): { invocation: Invocation; end(ok: boolean): void } {
    const invocation = this.beginInvocation(name, caller);
    const started = performance.now();
    const timer = setTimeout(limit.onTimeout, limit.timeoutMs);
    let ended = false;
    return {
      invocation,
      end: (ok) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        this.record(invocation, event, undefined, { ok, cold: false, coldStartMs: 0, wallMs: performance.now() - started, cpuMs: null });
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) pool.close(new Error('runtime closing'));
    this.pools.clear();
  }
}
