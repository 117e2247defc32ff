/**
 * One instance of a cloud function in the local runtime, as SCF runs it: a worker thread, or a
 * child process on the Node binary the runtime was told to use (a CloudBase runtime version). It
 * loads the built bundle once and then serves **one invocation at a time**.
 *
 * Between invocations the instance is frozen, as SCF freezes it once the handler has answered
 * ("主流程执行完成后，函数实例进程会被冻结，进程中的所有异步任务会暂停执行，直到这个进程被再次唤起":
 * the Node.js runtime's asynchronous behaviour, Tencent SCF documentation; instance reuse:
 * https://docs.cloudbase.net/cloud-function/deep-principle). Promises and timers the handler left
 * pending do not run while frozen; they resume, and may write, during the instance's next
 * invocation. A worker thread freezes itself with `Atomics.wait` on a flag shared with the host
 * (its event loop, timers and sockets stop with it) and the host wakes it for the next invocation;
 * a child process is stopped by the host with SIGSTOP and continued with SIGCONT.
 *
 * The invocation's variables (OPENID, SOURCE, the temporary credentials, …) are written into
 * `process.env` when it starts, as SCF writes them: the real `wx-server-sdk` reads them there at call
 * time (`getWXContext` in wx-server-sdk/index.js; `getCloudbaseContext` in
 * @cloudbase/node-sdk/dist/utils/tcbcontext.js). Code left over from an earlier invocation that
 * resumes reads the current invocation's values, as it would on SCF.
 */
import { writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

interface LoadMessage {
  type: 'load';
  bundle: string;
  /** The freeze flag (worker threads): 1 while frozen. */
  freezeFlag?: SharedArrayBuffer;
}
interface InvokeMessage {
  type: 'invoke';
  id: string;
  event: unknown;
  context: Record<string, unknown>;
  env: Record<string, string>;
}
/** The invocation `id` ran into its time limit: freeze now, whatever it is doing. */
interface FreezeMessage {
  type: 'freeze';
  id: string;
}
type Incoming = LoadMessage | InvokeMessage | FreezeMessage;

export type InstanceMessage =
  | { type: 'ready'; node: string; loadMs: number }
  | { type: 'loadFailed'; message: string }
  | { type: 'result'; id: string; ok: true; value: unknown; cpuMs: number | null }
  | { type: 'result'; id: string; ok: false; message: string; cpuMs: number | null }
  /** Frozen after a time limit, with the invocation's handler still pending. */
  | { type: 'frozen'; id: string }
  /** The handler of an earlier, timed-out invocation settled now, during a later one. */
  | { type: 'lateSettled'; id: string; ok: boolean };

type Main = (event: unknown, context: unknown) => unknown;

const post = (message: InstanceMessage): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};

let main: Main | null = null;
/** The invocation this instance serves now (null while frozen). */
let current: string | null = null;
let freezeFlag: Int32Array | null = null;
/** The variables the current invocation set in `process.env`, removed when the next one starts. */
let invocationKeys: string[] = [];

/**
 * Posts `message` and freezes until the host wakes this instance for its next invocation. A worker
 * thread raises its flag before posting, so that the host never wakes it before it waits (a wake
 * that comes first finds the flag down and the wait returns at once); a child process is stopped by
 * the host when the message arrives.
 */
function postAndFreeze(message: InstanceMessage): void {
  current = null;
  if (freezeFlag) Atomics.store(freezeFlag, 0, 1);
  post(message);
  if (freezeFlag) Atomics.wait(freezeFlag, 0, 1);
}

function startInvocation(message: InvokeMessage): void {
  for (const key of invocationKeys) delete process.env[key];
  Object.assign(process.env, message.env);
  invocationKeys = Object.keys(message.env);
  current = message.id;
}

/**
 * CPU time of an invocation, best effort: the thread's own CPU time where Node has
 * `process.threadCpuUsage` (v23.9+); in a child process (`FUNCTIONS_NODE`) the process's
 * `process.cpuUsage()`, which is the function's alone; in a worker thread on older Node, the
 * worker's event-loop active time (`performance.eventLoopUtilization`), which counts time spent
 * running JavaScript and callbacks on that thread, not the thread pool's or the garbage collector's
 * other threads. One invocation runs at a time, so the meter's advance from its start to its answer
 * is its own (and that of any left-over code that resumed meanwhile, as SCF would bill it).
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

function load(message: LoadMessage): void {
  try {
    if (message.freezeFlag) freezeFlag = new Int32Array(message.freezeFlag);
    const loadStarted = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the function's built bundle, named at run time, loaded as CommonJS as the platform loads it.
    const loaded = require(message.bundle) as { main?: Main };
    if (typeof loaded.main !== 'function') throw new Error(`${message.bundle} exports no main`);
    main = loaded.main;
    // Loaded: frozen until the first invocation, like between any two.
    postAndFreeze({ type: 'ready', node: process.version, loadMs: performance.now() - loadStarted });
  } catch (error) {
    post({ type: 'loadFailed', message: error instanceof Error ? error.message : String(error) });
  }
}

async function invoke(message: InvokeMessage): Promise<void> {
  if (!main) {
    post({ type: 'result', id: message.id, ok: false, message: 'function not loaded', cpuMs: null });
    return;
  }
  const run = main;
  startInvocation(message);
  const cpuAtStart = meter ? meter() : 0;
  const settle = (outcome: { ok: true; value: unknown } | { ok: false; message: string }): void => {
    if (current !== message.id) {
      // Timed out earlier: its caller has had the platform's answer, and the instance serves another invocation now.
      post({ type: 'lateSettled', id: message.id, ok: outcome.ok });
      return;
    }
    const cpuMs = meter ? meter() - cpuAtStart : null;
    postAndFreeze(outcome.ok ? { type: 'result', id: message.id, ok: true, value: outcome.value, cpuMs } : { type: 'result', id: message.id, ok: false, message: outcome.message, cpuMs });
  };
  try {
    const value = await run(message.event, message.context);
    // SCF hands the caller the JSON text of what the handler returned.
    settle({ ok: true, value: value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown) });
  } catch (error) {
    settle({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
}

function handle(message: Incoming): void {
  if (message.type === 'load') return load(message);
  if (message.type === 'invoke') return void invoke(message);
  // A time limit: freeze at once if that invocation is still the one running (else it answered meanwhile, and the instance froze then).
  if (current === message.id) postAndFreeze({ type: 'frozen', id: message.id });
}

/**
 * A worker thread's stdout and stderr are streams to the host's thread, written asynchronously: a
 * line logged just before the instance freezes would wait for the next invocation. A function's
 * log lines go straight to the process's own file descriptors instead, as an SCF instance's go to
 * its process's output (a child process writes to its pipes synchronously already).
 */
function writeThrough(stream: NodeJS.WriteStream, fd: number): void {
  stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
    writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
    const done = typeof encoding === 'function' ? encoding : callback;
    done?.(null);
    return true;
  }) as NodeJS.WriteStream['write'];
}
if (parentPort) {
  writeThrough(process.stdout, 1);
  writeThrough(process.stderr, 2);
}

/**
 * Node 19 made the global HTTP agents keep connections alive; Node 18, the CloudBase runtime the
 * functions are built for (Nodejs18.15), does not. @cloudbase/node-sdk inside SCF asks for no
 * keep-alive and so uses the global agent (`selectAgent` in dist/utils/request-core.js returns
 * none), which on a newer Node would reuse a connection that the server closed while the instance
 * was frozen ("socket hang up" after a thaw). The instance uses Node 18's agents, whatever Node runs it.
 */
http.globalAgent = new http.Agent({ keepAlive: false });
https.globalAgent = new https.Agent({ keepAlive: false });

// A promise the function left behind must not take the instance down with it.
process.on('unhandledRejection', () => undefined);
if (parentPort) parentPort.on('message', (message: Incoming) => handle(message));
else process.on('message', (message: Incoming) => handle(message));
