import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import type { WXContext } from '../core/platform/wxCloud';

export interface FunctionConfig {
  timeout?: number;
  triggers?: { name: string; type: string; config: string }[];
  permissions?: { openapi?: string[] };
}

export interface Invocation {
  id: string;
  functionName: string;
  context: WXContext & { CLIENTIP?: string };
  stopped: boolean;
  startedAt: number;
}

export class InvocationStopped extends Error {
  constructor(reason: string) {
    super(`invocation stopped: ${reason}`);
    this.name = 'InvocationStopped';
  }
}

type Main = (event: unknown, context: unknown) => Promise<unknown>;

const invocations = new AsyncLocalStorage<Invocation>();

export function currentInvocation(): Invocation | undefined {
  return invocations.getStore();
}

/** Throws inside a stopped invocation: a frozen or killed function can change nothing more. */
export function assertInvocationAlive(): void {
  const invocation = invocations.getStore();
  if (invocation?.stopped) throw new InvocationStopped(`${invocation.functionName} is no longer running`);
}

let sdkInstalled: unknown = null;

/**
 * Makes `require('wx-server-sdk')` inside the function bundles return the local runtime's
 * implementation of the same surface: the bundles themselves are the ones that are deployed.
 */
export function provideWxServerSdk(sdk: unknown): void {
  if (sdkInstalled) {
    sdkInstalled = sdk;
    return;
  }
  sdkInstalled = sdk;
  const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const originalLoad = loader._load;
  loader._load = function load(request: string, parent: unknown, isMain: boolean) {
    if (request === 'wx-server-sdk') return sdkInstalled;
    return originalLoad.call(this, request, parent, isMain);
  };
}

/** Hosts the built cloud functions (cloudfunctions/<name>/index.js) with their config.json limits. */
export class FunctionHost {
  private readonly mains = new Map<string, Main>();
  readonly configs = new Map<string, FunctionConfig>();
  private readonly running = new Set<Invocation>();
  invocationCount = 0;
  readonly countsByFunction = new Map<string, number>();
  /** Invocations stopped from outside (kill, or the chaos fault that kills workers). */
  killedCount = 0;
  /** Called as each invocation starts (the runtime's worker faults use it). */
  onInvocationStart: ((invocation: Invocation, event: unknown) => void) | null = null;

  constructor(private readonly functionsDir: string) {}

  load(): void {
    for (const name of readdirSync(this.functionsDir)) {
      const bundle = join(this.functionsDir, name, 'index.js');
      if (!existsSync(bundle)) continue;
      const configPath = join(this.functionsDir, name, 'config.json');
      const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as FunctionConfig) : {};
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(bundle) as { main?: Main };
      if (typeof loaded.main !== 'function') throw new Error(`cloud function ${name} exports no main`);
      this.mains.set(name, loaded.main);
      this.configs.set(name, config);
    }
    if (this.mains.size === 0) throw new Error(`no built cloud functions in ${this.functionsDir}: run npm run build`);
  }

  has(name: string): boolean {
    return this.mains.has(name);
  }

  names(): string[] {
    return [...this.mains.keys()];
  }

  /**
   * Runs a function as the platform would: with its caller's context and its time limit. When the
   * limit passes, the invocation is stopped: the caller gets an error and the function's further
   * database calls fail, as a frozen or killed instance would.
   */
  async invoke(name: string, event: unknown, caller: { openid?: string } = {}): Promise<unknown> {
    const main = this.mains.get(name);
    if (!main) throw new Error(`unknown cloud function ${name}`);
    const timeoutMs = (this.configs.get(name)?.timeout ?? 3) * 1000;
    const invocation: Invocation = {
      id: randomUUID(),
      functionName: name,
      context: { APPID: 'wx-local-app', ENV: 'local', CLIENTIP: '127.0.0.1', ...(caller.openid ? { OPENID: caller.openid } : {}) },
      stopped: false,
      startedAt: Date.now(),
    };
    this.invocationCount += 1;
    this.countsByFunction.set(name, (this.countsByFunction.get(name) ?? 0) + 1);
    this.running.add(invocation);
    this.onInvocationStart?.(invocation, event);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        invocation.stopped = true;
        reject(new InvocationStopped(`${name} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const eventCopy = JSON.parse(JSON.stringify(event ?? {})) as unknown;
      return await Promise.race([invocations.run(invocation, () => main(eventCopy, { function_name: name, request_id: invocation.id })), limit]);
    } finally {
      clearTimeout(timer);
      invocation.stopped = true;
      this.running.delete(invocation);
    }
  }

  /** Stops every running invocation of a function (a worker killed mid-stream). */
  kill(name: string): number {
    let killed = 0;
    for (const invocation of this.running) {
      if (invocation.functionName === name && this.stop(invocation)) killed += 1;
    }
    return killed;
  }

  /** Stops one invocation if it is still running; true when it was. */
  stop(invocation: Invocation): boolean {
    if (invocation.stopped || !this.running.has(invocation)) return false;
    invocation.stopped = true;
    this.killedCount += 1;
    return true;
  }

  runningCount(name?: string): number {
    return [...this.running].filter((i) => !name || i.functionName === name).length;
  }
}
