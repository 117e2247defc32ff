import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FUNCTIONS, isFunctionName } from '../../core/functions/catalog';
import type { ApiCounters } from '../cloudbase/dispatcher';
import { sleep, type DelaySource } from '../profile/cloudProfile';
import type { InstancePool } from '../profile/instances';
import { invocationEnv, type Caller, type InvocationCredentials } from './callers';
import type { InstanceMessage } from './instance';
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
  /** Timed out or killed: the emulated CloudBase API refuses its requests from then on. */
  stopped: boolean;
  startedAt: number;
  credentials: InvocationCredentials;
}

export class InvocationStopped extends Error {
  constructor(reason: string) {
    super(`invocation stopped: ${reason}`);
    this.name = 'InvocationStopped';
  }
}

export interface FunctionHostOptions {
  functionsDir: string;
  /** The built instance entry (.build/instance.cjs). */
  instanceScript: string;
  /** The functions' environment: their configuration plus what SCF sets for every instance. */
  env: Record<string, string>;
  envId: string;
  /** Run each instance as a child process of this Node binary (a CloudBase runtime version); default: worker threads of this process. */
  nodeBinary?: string;
  /** The cloud latency profile: cold starts of new instances (local/profile). Absent: every call runs at once. */
  profile?: { delays: DelaySource; pool: InstancePool };
  /** What an invocation asked of CloudBase (the dispatcher's counts), read when it ends. */
  counters?: (invocationId: string) => ApiCounters | undefined;
}

/** The memory a function is configured with (the catalog; CloudBase's default 256 MB otherwise). */
export function memoryMbOf(name: string): number {
  return isFunctionName(name) ? FUNCTIONS[name].memoryMb : 256;
}

interface RunResult {
  value: unknown;
  cpuMs: number | null;
}
type Pending = { resolve: (value: RunResult) => void; reject: (error: Error & { cpuMs?: number | null }) => void };

/** The realm a function runs in (see instance.ts): it serves concurrent invocations. */
class Instance {
  private readonly pending = new Map<string, Pending>();
  private dead = false;
  /** The Node version the realm runs on (`process.version` inside it). */
  node = '';
  /** How long the bundle took to load in this realm (its `require`), in ms. */
  loadMs = 0;
  private readonly terminateRealm: () => void;
  private readonly send: (message: unknown) => void;

  private constructor(
    readonly functionName: string,
    realm: Worker | ChildProcess,
    private readonly onDeath: (instance: Instance) => void,
    private readonly ready: { resolve: () => void; reject: (error: Error) => void },
  ) {
    const onMessage = (message: InstanceMessage) => this.receive(message);
    const onExit = () => this.died(new Error(`instance of ${functionName} exited`));
    if (realm instanceof Worker) {
      realm.on('message', onMessage);
      realm.on('error', (error) => this.died(error));
      realm.on('exit', onExit);
      this.send = (message) => realm.postMessage(message);
      this.terminateRealm = () => void realm.terminate();
    } else {
      realm.on('message', (message) => onMessage(message as InstanceMessage));
      realm.on('exit', onExit);
      realm.on('error', (error) => this.died(error));
      this.send = (message) => {
        if (realm.connected) realm.send(message as object);
      };
      this.terminateRealm = () => void realm.kill('SIGKILL');
    }
  }

  static start(functionName: string, bundle: string, options: FunctionHostOptions, onDeath: (instance: Instance) => void): Promise<Instance> {
    return new Promise((resolve, reject) => {
      const realm = options.nodeBinary
        ? fork(options.instanceScript, [], { execPath: options.nodeBinary, env: options.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        : new Worker(options.instanceScript, { env: options.env });
      const instance: Instance = new Instance(functionName, realm, onDeath, { resolve: () => resolve(instance), reject });
      instance.send({ type: 'load', bundle });
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  run(message: { id: string; event: unknown; context: Record<string, unknown>; env: Record<string, string> }): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new Error(`instance of ${this.functionName} is gone`));
      this.pending.set(message.id, { resolve, reject });
      this.send({ type: 'invoke', ...message });
    });
  }

  terminate(reason: Error): void {
    this.died(reason);
    this.terminateRealm();
  }

  private receive(message: InstanceMessage): void {
    if (message.type === 'ready') {
      this.node = message.node;
      this.loadMs = message.loadMs;
      return this.ready.resolve();
    }
    if (message.type === 'loadFailed') {
      this.ready.reject(new Error(`cloud function ${this.functionName} failed to load: ${message.message}`));
      return this.terminate(new Error(message.message));
    }
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (!pending) return;
    if (message.ok) pending.resolve({ value: message.value, cpuMs: message.cpuMs });
    else pending.reject(Object.assign(new Error(message.message), { cpuMs: message.cpuMs }));
  }

  private died(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.ready.reject(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.onDeath(this);
  }
}

/**
 * Hosts the built cloud functions (cloudfunctions/<name>/index.js) as SCF runs them: each
 * invocation with its caller's variables (callers.ts) and its config.json time limit. A stopped
 * invocation (timed out, or killed by the chaos faults) is over for its caller at once, and the
 * CloudBase emulation refuses every request it still makes: its credentials are revoked, so a
 * frozen or killed function changes nothing more.
 */
export class FunctionHost {
  readonly configs = new Map<string, FunctionConfig>();
  private readonly bundles = new Map<string, string>();
  private readonly realms = new Map<string, Promise<Instance>>();
  private readonly running = new Set<Invocation>();
  private readonly bySecretId = new Map<string, Invocation>();
  private readonly stopListeners = new Map<Invocation, () => void>();
  private closed = false;
  invocationCount = 0;
  readonly countsByFunction = new Map<string, number>();
  /** Invocations stopped from outside (kill, or the chaos fault that kills workers). */
  killedCount = 0;
  /** Called as each invocation starts (the runtime's worker faults use it). */
  onInvocationStart: ((invocation: Invocation, event: unknown) => void) | null = null;
  /** Per invocation: operations, wall and CPU time, memory, cold start, order keys. */
  readonly usage = new UsageLedger();
  /** Each function's bundle load time in its realm, measured when the realm started. */
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

  /** Loads every function, so the first calls find them warm. */
  async prewarm(oneByOne = false): Promise<void> {
    // One by one, each bundle's measured load time is its own, not shared with nine others starting at once.
    if (oneByOne) for (const name of this.names()) await this.realm(name);
    else await Promise.all(this.names().map((name) => this.realm(name)));
  }

  has(name: string): boolean {
    return this.bundles.has(name);
  }

  names(): string[] {
    return [...this.bundles.keys()];
  }

  /** The Node versions the loaded functions run on. */
  async nodeVersions(): Promise<string[]> {
    const realms = await Promise.allSettled([...this.realms.values()]);
    return [...new Set(realms.flatMap((r) => (r.status === 'fulfilled' ? [r.value.node] : [])))];
  }

  /** The running invocation these credentials were issued to (the CloudBase emulation authenticates with it). */
  invocationFor(secretId: string): Invocation | undefined {
    return this.bySecretId.get(secretId);
  }

  async invoke(name: string, event: unknown, caller: Caller): Promise<unknown> {
    if (!this.bundles.has(name) || this.closed) throw new Error(`unknown cloud function ${name}`);
    // The cloud profile: a call that finds no idle warm instance waits for a new one (a cold start:
    // the platform's part, drawn, plus this bundle's own measured load time). The invocation's
    // time limit and its billed time start after it, as SCF's initialisation is separate.
    const placement = this.options.profile?.pool.place(name);
    let coldStartMs = 0;
    if (placement?.cold && this.options.profile) {
      const realm = await this.realm(name).catch(() => null);
      coldStartMs = this.options.profile.delays.draw('coldStart') + (realm?.loadMs ?? 0);
      await sleep(coldStartMs);
    }
    try {
      return await this.run(name, event, caller, placement?.cold ?? false, coldStartMs);
    } finally {
      placement?.release();
    }
  }

  private async run(name: string, event: unknown, caller: Caller, cold: boolean, coldStartMs: number): Promise<unknown> {
    const timeoutMs = (this.configs.get(name)?.timeout ?? 3) * 1000;
    // A realm not started yet (no prewarm, or after it died) loads before the time limit starts, as
    // SCF initialises an instance before it runs the invocation; the load has a limit of the same
    // length. A load that fails fails again in execute, inside the invocation, which reports it.
    let initTimer: NodeJS.Timeout | undefined;
    const loaded = await Promise.race([
      this.realm(name).then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        initTimer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(initTimer);
    if (!loaded) throw new InvocationStopped(`${name} did not finish loading within ${timeoutMs} ms`);
    const id = randomUUID();
    const invocation: Invocation = {
      id,
      functionName: name,
      caller,
      stopped: false,
      startedAt: Date.now(),
      credentials: { secretId: `AKIDlocal${id.replace(/-/g, '')}`, secretKey: randomBytes(24).toString('base64url'), sessionToken: id },
    };
    this.invocationCount += 1;
    this.countsByFunction.set(name, (this.countsByFunction.get(name) ?? 0) + 1);
    this.running.add(invocation);
    this.bySecretId.set(invocation.credentials.secretId, invocation);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.halt(invocation);
        reject(new InvocationStopped(`${name} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const killed = new Promise<never>((_, reject) => {
      this.stopListeners.set(invocation, () => reject(new InvocationStopped(`${name} was killed`)));
    });
    const started = performance.now();
    let result: unknown;
    let ok = false;
    const cpu: { ms: number | null } = { ms: null };
    try {
      this.onInvocationStart?.(invocation, event);
      result = await Promise.race([this.execute(invocation, event, timeoutMs, cpu), limit, killed]);
      ok = true;
      return result;
    } finally {
      clearTimeout(timer);
      this.halt(invocation);
      this.running.delete(invocation);
      this.stopListeners.delete(invocation);
      this.record(invocation, event, result, { ok, cold, coldStartMs, wallMs: performance.now() - started, cpuMs: cpu.ms });
    }
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

  private async execute(invocation: Invocation, event: unknown, timeoutMs: number, cpu: { ms: number | null }): Promise<unknown> {
    const instance = await this.realm(invocation.functionName);
    if (invocation.stopped) throw new InvocationStopped(`${invocation.functionName} was killed before it started`);
    const env = invocationEnv(invocation.caller, this.options.envId, invocation.credentials, invocation.id);
    // The handler's second argument, as SCF passes it (the fields @cloudbase/node-sdk's parseContext reads).
    const context = {
      request_id: invocation.id,
      function_name: invocation.functionName,
      function_version: '$LATEST',
      namespace: this.options.envId,
      memory_limit_in_mb: memoryMbOf(invocation.functionName),
      time_limit_in_ms: timeoutMs,
      environment: JSON.stringify(env),
    };
    try {
      const answer = await instance.run({ id: invocation.id, event: JSON.parse(JSON.stringify(event ?? {})) as unknown, context, env });
      cpu.ms = answer.cpuMs;
      return answer.value;
    } catch (error) {
      cpu.ms = (error as { cpuMs?: number | null }).cpuMs ?? null;
      throw error;
    }
  }

  /** The function's realm, started on first use and again after it died. */
  private realm(name: string): Promise<Instance> {
    const existing = this.realms.get(name);
    if (existing) return existing;
    const started = Instance.start(name, this.bundles.get(name) as string, this.options, () => {
      if (this.realms.get(name) === started) this.realms.delete(name);
    });
    started.then(
      (instance) => {
        if (!this.loadMs.has(name)) this.loadMs.set(name, instance.loadMs);
      },
      () => undefined,
    );
    started.catch(() => {
      if (this.realms.get(name) === started) this.realms.delete(name);
    });
    this.realms.set(name, started);
    return started;
  }

  /** Marks an invocation stopped and revokes its credentials. */
  private halt(invocation: Invocation): void {
    invocation.stopped = true;
    this.bySecretId.delete(invocation.credentials.secretId);
  }

  /** Stops every running invocation of a function (a worker killed mid-stream). */
  kill(name: string): number {
    let killed = 0;
    for (const invocation of [...this.running]) {
      if (invocation.functionName === name && this.stop(invocation)) killed += 1;
    }
    return killed;
  }

  /** Stops one invocation if it is still running; true when it was. */
  stop(invocation: Invocation): boolean {
    if (invocation.stopped || !this.running.has(invocation)) return false;
    this.halt(invocation);
    this.killedCount += 1;
    this.stopListeners.get(invocation)?.();
    return true;
  }

  /**
   * An invocation that runs outside this host's realms: one connection to an HTTP function, served
   * by @cloudbase/functions-framework (local/functions/httpFunctions.ts). It gets credentials the
   * CloudBase emulation accepts, is counted and recorded like any other, and is over (credentials
   * revoked) when `end` is called or it outlives its config.json time limit, as SCF stops it.
   */
  beginExternal(name: string, caller: Caller, event: unknown, limit: { timeoutMs: number; onTimeout: () => void }): { invocation: Invocation; end(ok: boolean): void } {
    const id = randomUUID();
    const invocation: Invocation = {
      id,
      functionName: name,
      caller,
      stopped: false,
      startedAt: Date.now(),
      credentials: { secretId: `AKIDlocal${id.replace(/-/g, '')}`, secretKey: randomBytes(24).toString('base64url'), sessionToken: id },
    };
    this.invocationCount += 1;
    this.countsByFunction.set(name, (this.countsByFunction.get(name) ?? 0) + 1);
    this.running.add(invocation);
    this.bySecretId.set(invocation.credentials.secretId, invocation);
    const started = performance.now();
    const timer = setTimeout(() => {
      this.halt(invocation);
      limit.onTimeout();
    }, limit.timeoutMs);
    let ended = false;
    return {
      invocation,
      end: (ok) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        this.halt(invocation);
        this.running.delete(invocation);
        this.record(invocation, event, undefined, { ok, cold: false, coldStartMs: 0, wallMs: performance.now() - started, cpuMs: null });
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const invocation of [...this.running]) this.halt(invocation);
    const realms = await Promise.allSettled([...this.realms.values()]);
    for (const realm of realms) if (realm.status === 'fulfilled') realm.value.terminate(new Error('runtime closing'));
    this.realms.clear();
  }
}
