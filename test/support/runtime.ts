import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Json } from './json';

/** The repository root: the nearest folder with a package.json (from test/support, or from .build when bundled into a tool). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}

const ROOT = findRoot(__dirname);

/**
 * The local model's pace for tests that only need an answer, not to watch it being written: the
 * runtime's default (a first token after 300 ms, 40 tokens a second) makes each answer take about
 * two seconds, which adds up over a suite. The answers themselves are the same.
 */
const QUICK_MODEL = { firstTokenMs: 20, tokensPerSecond: 400 } as const;

export interface StartOptions {
  /** Answer at QUICK_MODEL's pace, after every boot and every `faults({ reset: true })`. */
  quickModel?: boolean;
}

/** A real local runtime process (`node .build/runtime.cjs`) on a free loopback port, for tests. */
export class LocalRuntime {
  url = '';
  private child: ChildProcess | null = null;
  output = '';

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly options: StartOptions = {},
  ) {}

  static async start(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'paid-ai-')), options: StartOptions = {}): Promise<LocalRuntime> {
    const runtime = new LocalRuntime(dataDir, env, options);
    await runtime.boot();
    return runtime;
  }

  /** A runtime whose model answers at QUICK_MODEL's pace. */
  static quick(env: Record<string, string> = {}): Promise<LocalRuntime> {
    return LocalRuntime.start(env, undefined, { quickModel: true });
  }

  private async boot(): Promise<void> {
    await this.spawnProcess();
    if (this.options.quickModel) await this.faults({ llm: QUICK_MODEL });
  }

  private spawnProcess(): Promise<void> {
    return new Promise((resolveBoot, reject) => {
      const child = spawn(process.execPath, [join(ROOT, '.build', 'runtime.cjs')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          DATA_DIR: this.dataDir,
          TIMER_INTERVAL_SECONDS: '0',
          QUIET_LOGS: '1',
          // Realms start on first use: most suites call a handful of the ten functions.
          PREWARM_FUNCTIONS: '0',
          // The runtime sells through virtual payment by default; the suites about the cloud-pay
          // path (payCallback, the pay simulator) run it as cloud pay. Virtual payment's suites say so.
          PAY_MODE: 'simulator',
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      const timer = setTimeout(() => reject(new Error(`runtime did not start:\n${this.output}`)), 60_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
        const match = /local runtime on (http:\/\/[^\s]+) /.exec(this.output);
        if (match && !this.url.startsWith(match[1] as string)) {
          this.url = match[1] as string;
          clearTimeout(timer);
          resolveBoot();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!this.url) reject(new Error(`runtime exited with ${code}:\n${this.output}`));
      });
    });
  }

  async post<T = Record<string, unknown>>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
  }

  async get<T = Record<string, unknown>>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    return (await response.json()) as T;
  }

  /** Calls a client-callable function as user `openid`; returns the function's own answer. */
  async call<T = Json>(name: string, data: unknown, openid = 'user-a'): Promise<T> {
    const { status, json } = await this.post<{ result?: T; errMsg?: string }>(`/api/functions/${name}`, { data }, { 'X-WX-OPENID': openid });
    if (status !== 200) throw new Error(`${name} answered HTTP ${status}: ${json.errMsg ?? ''}`);
    return json.result as T;
  }

  async pay(outTradeNo: string, outcome: 'success' | 'cancel' | 'fail' = 'success'): Promise<{ ok: boolean; errMsg: string }> {
    return (await this.post<{ ok: boolean; errMsg: string }>('/api/pay/simulate', { outTradeNo, outcome })).json;
  }

  async faults(patch: unknown): Promise<void> {
    const resets = typeof patch === 'object' && patch !== null && (patch as { reset?: unknown }).reset === true;
    if (resets && this.options.quickModel) {
      const { llm, ...rest } = patch as { llm?: Record<string, unknown> };
      patch = { ...rest, llm: { ...QUICK_MODEL, ...llm } };
    }
    const { status, json } = await this.post('/api/faults', patch);
    if (status !== 200) throw new Error(`faults refused: ${JSON.stringify(json)}`);
  }

  async trigger<T = Json>(name: string, data: unknown = {}): Promise<T> {
    const { status, json } = await this.post<{ result?: T; errMsg?: string }>(`/api/triggers/${name}`, { data });
    if (status !== 200) throw new Error(`${name} answered HTTP ${status}: ${json.errMsg ?? ''}`);
    return json.result as T;
  }

  /** Polls `getOrder` (long-poll) until `done` says so or the time runs out. */
  async waitForOrder(orderId: string, done: (order: Json) => boolean, openid = 'user-a', timeoutMs = 30_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    let order: Json = {};
    let knownRev: number | undefined;
    while (Date.now() < deadline) {
      const answer = await this.call('getOrder', { orderId, waitMs: 3000, ...(knownRev !== undefined ? { knownRev } : {}) }, openid);
      if (!answer.ok) throw new Error(`getOrder failed: ${JSON.stringify(answer.error)}`);
      order = answer.order;
      knownRev = order.rev;
      if (done(order)) return order;
    }
    throw new Error(`order ${orderId} did not reach the expected state; last: ${JSON.stringify(order).slice(0, 400)}`);
  }

  /**
   * The recipients of the subscribe messages "sent" for an order. A message follows its order's
   * last transition in the same invocation, so a page can see the order final a moment before the
   * message is out: this waits (up to `timeoutMs`) until at least one is there.
   */
  async messageRecipients(orderId: string, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { messages } = await this.get<{ messages: { touser: string; page: string }[] }>('/api/messages');
      const recipients = messages.filter((m) => m.page.endsWith(`orderId=${orderId}`)).map((m) => m.touser);
      if (recipients.length > 0 || Date.now() >= deadline) return recipients;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Waits (up to `timeoutMs`) until the runtime's output shows `pattern`; the assertion that follows
   * reports what it shows if it never does. A function logs from its own realm, and that line can
   * reach the runtime's output a moment after the function's answer reached the test.
   */
  async untilOutputShows(pattern: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const shows = () => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    const deadline = Date.now() + timeoutMs;
    while (!shows() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Graceful stop (SIGTERM). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Abrupt stop: the process gets no chance to flush anything. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the process (gracefully unless it is already gone, e.g. after kill()) and boots it again on the same DATA_DIR. */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.stop();
    Object.assign(this.env, env);
    this.url = '';
    this.output = '';
    await this.boot();
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    // A process ended by a signal has exitCode null and signalCode set: it is gone all the same.
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolveExit) => {
      child.once('exit', () => resolveExit());
      child.kill(signal);
    });
  }
}
