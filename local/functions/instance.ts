/**
 * The realm a cloud function runs in locally: a worker thread, or a child process on the Node
 * binary the runtime was told to use (a CloudBase runtime version). It loads the built bundle once
 * and serves its invocations.
 *
 * The real `wx-server-sdk` reads the invocation's variables from `process.env` at call time
 * (`getWXContext` in wx-server-sdk/index.js; `getCloudbaseContext` in
 * @cloudbase/node-sdk/dist/utils/tcbcontext.js). SCF gives each invocation an instance of its own
 * and writes them there. Here one realm serves concurrent invocations (an instance per invocation
 * costs a cold start of the SDK each: too slow for the chaos and load runs), so `process.env` is
 * scoped: each invocation sees the instance variables plus its own, through AsyncLocalStorage,
 * which follows the invocation's promises, timers and sockets.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

interface LoadMessage {
  type: 'load';
  bundle: string;
}
interface InvokeMessage {
  type: 'invoke';
  id: string;
  event: unknown;
  context: Record<string, unknown>;
  env: Record<string, string>;
}
type Incoming = LoadMessage | InvokeMessage;

export type InstanceMessage =
  | { type: 'ready'; node: string; loadMs: number }
  | { type: 'loadFailed'; message: string }
  | { type: 'result'; id: string; ok: true; value: unknown; cpuMs: number | null }
  | { type: 'result'; id: string; ok: false; message: string; cpuMs: number | null };

type Main = (event: unknown, context: unknown) => unknown;

const post = (message: InstanceMessage): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};

let main: Main | null = null;
const invocationEnv = new AsyncLocalStorage<Record<string, string>>();

/** `process.env` as each invocation sees it: its own variables over the instance's. */
function scopedEnv(base: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const own = (key: string | symbol): Record<string, string> | undefined => {
    const scope = invocationEnv.getStore();
    return typeof key === 'string' && scope && Object.prototype.hasOwnProperty.call(scope, key) ? scope : undefined;
  };
  return new Proxy(base, {
    get: (target, key) => (own(key) ?? target)[key as string],
    has: (target, key) => own(key) !== undefined || key in target,
    set: (target, key, value) => {
      (invocationEnv.getStore() ?? target)[key as string] = String(value);
      return true;
    },
    deleteProperty: (target, key) => {
      const scope = invocationEnv.getStore();
      if (scope) Reflect.deleteProperty(scope, key);
      return Reflect.deleteProperty(target, key);
    },
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...Reflect.ownKeys(invocationEnv.getStore() ?? {})])],
    getOwnPropertyDescriptor: (target, key) => {
      const scope = own(key);
      if (scope) return { value: scope[key as string], writable: true, enumerable: true, configurable: true };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  }) as NodeJS.ProcessEnv;
}
process.env = scopedEnv({ ...process.env });

/**
 * CPU time per invocation, best effort. The realm's CPU meter: the thread's own CPU time where Node
 * has `process.threadCpuUsage` (v23.9+); in a child process (`FUNCTIONS_NODE`) the process's
 * `process.cpuUsage()`, which is the function's alone; in a worker thread on older Node, the
 * worker's event-loop active time (`performance.eventLoopUtilization`), which counts time spent
 * running JavaScript and callbacks on that thread, not the thread pool's or the garbage collector's
 * other threads. Concurrent invocations share the realm: the meter's advance between two
 * starts/ends is split evenly among the invocations running in that interval.
 */
type CpuMeter = () => number;
function cpuMeter(): CpuMeter | null {
  const threadCpu = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (typeof threadCpu === 'function') {
    return () => {
      const usage = threadCpu.call(process);
      return (usage.user + usage.system) / 1000;
    };
  }
  if (!parentPort) {
    return () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    };
  }
  if (typeof performance.eventLoopUtilization === 'function') return () => performance.eventLoopUtilization().active;
  return null;
}
const meter = cpuMeter();
const cpuShares = new Map<string, number>();
let lastMeterReading = meter ? meter() : 0;

/** Splits the CPU used since the last reading among the invocations running now. */
function shareCpu(): void {
  if (!meter) return;
  const reading = meter();
  const used = Math.max(0, reading - lastMeterReading);
  lastMeterReading = reading;
  if (cpuShares.size === 0) return;
  const share = used / cpuShares.size;
  for (const [id, sum] of cpuShares) cpuShares.set(id, sum + share);
}

async function handle(message: Incoming): Promise<void> {
  if (message.type === 'load') {
    try {
      const loadStarted = performance.now();
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the function's built bundle, named at run time, loaded as CommonJS as the platform loads it.
      const loaded = require(message.bundle) as { main?: Main };
      if (typeof loaded.main !== 'function') throw new Error(`${message.bundle} exports no main`);
      main = loaded.main;
      post({ type: 'ready', node: process.version, loadMs: performance.now() - loadStarted });
    } catch (error) {
      post({ type: 'loadFailed', message: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  if (!main) {
    post({ type: 'result', id: message.id, ok: false, message: 'function not loaded', cpuMs: null });
    return;
  }
  const run = main;
  shareCpu();
  cpuShares.set(message.id, 0);
  const cpuOf = (): number | null => {
    shareCpu();
    const spent = cpuShares.get(message.id);
    cpuShares.delete(message.id);
    return meter && spent !== undefined ? spent : null;
  };
  try {
    const value = await invocationEnv.run({ ...message.env }, () => run(message.event, message.context));
    // SCF hands the caller the JSON text of what the handler returned.
    const json = value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
    post({ type: 'result', id: message.id, ok: true, value: json, cpuMs: cpuOf() });
  } catch (error) {
    post({ type: 'result', id: message.id, ok: false, message: error instanceof Error ? error.message : String(error), cpuMs: cpuOf() });
  }
}

// A promise the function left behind must not take the instance down with it.
process.on('unhandledRejection', () => undefined);
if (parentPort) parentPort.on('message', (message: Incoming) => void handle(message));
else process.on('message', (message: Incoming) => void handle(message));
