import { transformSync } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { Poller, pollResult, type PollResult } from '../miniprogram/services/poller';
import { LocalRuntime } from '../test/support/runtime';
import { measureCloudProfile } from './cloudProfile';
import { ms, percentile, type Row } from './figures';
import { gatewayRows, measureGatewayOverhead } from './gateway';
import { measureLiveText } from './liveText';
import { runCompileCheck } from '../scripts/upload/checkProcess';

/**
 * `npm run bench`: measures the product on this machine, in one run, against a local runtime
 * process it starts itself and (gateway overhead) the local model server in this process, loopback
 * only, and prints one markdown table. It prints figures and
 * compares them with the targets; it never fails on timing.
 */

const ROOT = (() => {
  for (let dir = __dirname; ; dir = join(dir, '..')) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (join(dir, '..') === dir) return process.cwd();
  }
})();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Runs `count` tasks with at most `width` at once. */
async function pool<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

const runId = randomBytes(3).toString('hex');
let userSeq = 0;
const freshUser = (label: string) => `bench-${runId}-${label}-${++userSeq}`;

interface OrderView {
  orderId: string;
  outTradeNo: string;
  status: string;
  rev: number;
  output: string;
  amountFen: number;
}

async function createOrder(runtime: LocalRuntime, user: string): Promise<OrderView> {
  const answer = await runtime.call<{ ok: boolean; order: OrderView; error?: { code: string } }>('createOrder', { tier: 'quick', prompt: 'Write a haiku about tea' }, user);
  if (!answer.ok) throw new Error(`createOrder failed: ${answer.error?.code}`);
  return answer.order;
}

async function getOrder(runtime: LocalRuntime, orderId: string, user: string, extra: Record<string, unknown> = {}): Promise<OrderView> {
  const answer = await runtime.call<{ ok: boolean; order: OrderView; error?: { code: string } }>('getOrder', { orderId, ...extra }, user);
  if (!answer.ok) throw new Error(`getOrder failed: ${answer.error?.code}`);
  return answer.order;
}

/**
 * createOrder then getOrder by `users` users at once, each a new WeChat user (one pending order
 * each). Back to back (`thinkMs` 0) keeps `users` requests always in flight; with `thinkMs` each
 * user pauses about that long between actions, as people do.
 */
async function latencies(runtime: LocalRuntime, users: number, thinkMs = 0): Promise<{ create: number[]; get: number[] }> {
  const perUser = Math.max(5, Math.ceil(600 / users));
  const create: number[] = [];
  const get: number[] = [];
  await pool(users, users, async () => {
    for (let i = 0; i < perUser; i += 1) {
      if (thinkMs > 0) await sleep(thinkMs * (0.5 + Math.random()));
      const user = freshUser(`lat${users}`);
      let started = now();
      const order = await createOrder(runtime, user);
      create.push(now() - started);
      started = now();
      await getOrder(runtime, order.orderId, user);
      get.push(now() - started);
    }
  });
  return { create, get };
}

/** Payment notifications delivered straight to payCallback, 30% of them sent 2–5 times, shuffled, 50 at once. */
async function notificationThroughput(
  runtime: LocalRuntime,
  generationAlongside: boolean,
): Promise<{ perSecond: number; duplicatesPerSecond: number; sent: number; orders: number; confirmed: number }> {
  const orders = 600;
  // The simulator sends nothing here: this benchmark is the only sender. With generationAlongside,
  // each started generation streams its (short) answer in this same process while notifications
  // arrive; without, the model holds its first token past the measurement, so the figure is the
  // notification handling itself (in the cloud, generations run in instances of their own).
  const llm = generationAlongside ? { firstTokenMs: 0, tokensPerSecond: 1000, answerTokens: 2 } : { firstTokenMs: 6_000, tokensPerSecond: 1000, answerTokens: 2 };
  await runtime.faults({ pay: { drop: 1, duplicate: 0, tamper: 0, delayMs: [0, 0] }, llm });
  const paid = await pool(orders, 20, async () => {
    const user = freshUser('notify');
    const order = await createOrder(runtime, user);
    const pay = await runtime.pay(order.outTradeNo);
    if (!pay.ok) throw new Error(`pay failed: ${pay.errMsg}`);
    return { order, user };
  });
  const notifications: { outTradeNo: string; amountFen: number }[] = [];
  for (const { order } of paid) {
    const copies = Math.random() < 0.3 ? 2 + Math.floor(Math.random() * 4) : 1;
    for (let i = 0; i < copies; i += 1) notifications.push({ outTradeNo: order.outTradeNo, amountFen: order.amountFen });
  }
  for (let i = notifications.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [notifications[i], notifications[j]] = [notifications[j]!, notifications[i]!];
  }
  const started = now();
  await pool(notifications.length, 50, async (index) => {
    const { outTradeNo, amountFen } = notifications[index]!;
    const { status, json } = await runtime.post('/api/triggers/payCallback', {
      data: { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo, totalFee: amountFen, cashFee: amountFen, tradeType: 'JSAPI', feeType: 'CNY' },
    });
    if (status !== 200) throw new Error(`payCallback answered ${status}: ${JSON.stringify(json).slice(0, 200)}`);
  });
  const elapsed = now() - started;
  // The same notifications again: every one a duplicate now, which is acknowledged and changes nothing.
  const replayStarted = now();
  await pool(notifications.length, 50, async (index) => {
    const { outTradeNo, amountFen } = notifications[index]!;
    await runtime.post('/api/triggers/payCallback', { data: { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo, totalFee: amountFen, cashFee: amountFen } });
  });
  const duplicatesPerSecond = (notifications.length / (now() - replayStarted)) * 1000;
  let confirmed = 0;
  await pool(paid.length, 20, async (index) => {
    const { order, user } = paid[index]!;
    if ((await getOrder(runtime, order.orderId, user)).status !== 'pending_payment') confirmed += 1;
  });
  await runtime.faults({ pay: { drop: 0 } });
  return { perSecond: (notifications.length / elapsed) * 1000, duplicatesPerSecond, sent: notifications.length, orders, confirmed };
}

/**
 * From the moment the user pays to the first token visible through getOrder (the page long-polling
 * with knownRev), minus the model's own time to first token (set in the local model server).
 */
async function pipelineOverhead(runtime: LocalRuntime): Promise<number[]> {
  const modelFirstTokenMs = 400;
  await runtime.faults({ pay: { drop: 0, duplicate: 0, delayMs: [0, 0] }, llm: { firstTokenMs: modelFirstTokenMs, tokensPerSecond: 50, answerTokens: 20 } });
  const samples: number[] = [];
  await pool(6, 6, async () => {
    for (let i = 0; i < 10; i += 1) {
      const user = freshUser('overhead');
      const order = await createOrder(runtime, user);
      const paidAt = now();
      const pay = await runtime.pay(order.outTradeNo);
      if (!pay.ok) throw new Error(`pay failed: ${pay.errMsg}`);
      let knownRev = order.rev;
      for (;;) {
        const seen = await getOrder(runtime, order.orderId, user, { waitMs: 3000, knownRev });
        if (seen.output.length > 0) {
          samples.push(now() - paidAt - modelFirstTokenMs);
          break;
        }
        if (seen.status === 'refunded' || seen.status === 'refunding') break;
        knownRev = seen.rev;
      }
    }
  });
  return samples;
}

/**
 * Function invocations the order page makes while a 20-second answer is written: the page's own
 * polling policy (miniprogram/services/poller.ts, the same Poller class the page runs) issuing the
 * page's own getOrder call (waitMs 3000, settleMs 3000, knownRev), against the real runtime.
 */
async function pagePolls(runtime: LocalRuntime, orderId: string, user: string, settle: boolean): Promise<number> {
  let known: OrderView | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const poller = new Poller(async (): Promise<PollResult> => {
    // The order page's own call (pages/order/order.ts pollOnce).
    const seen = await getOrder(
      runtime,
      orderId,
      user,
      known
        ? { waitMs: 3000, ...(settle ? { settleMs: 3000 } : {}), knownRev: known.rev, knownStatus: known.status, knownChars: known.output.length }
        : // Opened right after paying: the first call already waits for news.
          { waitMs: 3000, ...(settle ? { settleMs: 3000 } : {}) },
    );
    const changed = !known || seen.rev !== known.rev;
    known = seen;
    if (seen.status === 'completed' || seen.status === 'refunded') {
      finish();
      return 'finished';
    }
    return pollResult(changed, seen.status, true);
  });
  poller.start();
  await Promise.race([finished, sleep(60_000)]);
  poller.stop();
  return poller.calls;
}

async function naivePolls(runtime: LocalRuntime, orderId: string, user: string): Promise<number> {
  let calls = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    calls += 1;
    const seen = await getOrder(runtime, orderId, user);
    if (seen.status === 'completed' || seen.status === 'refunded') return calls;
    await sleep(1_000);
  }
  return calls;
}

async function invocationsPerGeneration(runtime: LocalRuntime): Promise<{ page: number; eager: number; naive: number; answerSeconds: number }> {
  // 1 s to the first token, then 95 tokens at 5 a second: a 20-second answer.
  await runtime.faults({ pay: { drop: 0, duplicate: 0, delayMs: [0, 0] }, llm: { firstTokenMs: 1_000, tokensPerSecond: 5, answerTokens: 96 } });
  const start = async (label: string) => {
    const user = freshUser(label);
    const order = await createOrder(runtime, user);
    const pay = await runtime.pay(order.outTradeNo);
    if (!pay.ok) throw new Error(`pay failed: ${pay.errMsg}`);
    return { order, user };
  };
  const [a, b, c] = await Promise.all([start('poll-page'), start('poll-eager'), start('poll-naive')]);
  const began = now();
  const [page, eager, naive] = await Promise.all([
    pagePolls(runtime, a.order.orderId, a.user, true),
    pagePolls(runtime, b.order.orderId, b.user, false),
    naivePolls(runtime, c.order.orderId, c.user),
  ]);
  return { page, eager, naive, answerSeconds: (now() - began) / 1000 };
}

/** The mini program as uploaded: every file under miniprogram/ except type-checking config and tests; TypeScript counted as the JavaScript DevTools compiles it to. */
function miniprogramSize(): { bytes: number; files: number } {
  const dir = join(ROOT, 'miniprogram');
  let bytes = 0;
  let files = 0;
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        if (name === 'node_modules' || name === '__tests__' || name === 'test') continue;
        walk(path);
        continue;
      }
      if (/^tsconfig.*\.json$/.test(name) || /\.(test|spec)\.ts$/.test(name) || name.endsWith('.d.ts') || name.endsWith('.md')) continue;
      const source = readFileSync(path);
      files += 1;
      if (name.endsWith('.ts')) {
        bytes += Buffer.byteLength(transformSync(source.toString('utf8'), { loader: 'ts', target: 'es2018', sourcefile: relative(ROOT, path) }).code);
      } else {
        bytes += source.length;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/**
 * The package as WeChat receives it: miniprogram-ci's compile (the offline compile check that
 * `npm test` runs, minified as project.config.json says), or why it could not be measured (WeChat's
 * toolchain is not installed, or the mini program does not compile).
 */
function uploadedPackageSize(): { bytes: number; files: number } | { unmeasured: string } {
  const { status, result, stderr } = runCompileCheck(ROOT, ROOT);
  if (!result) return { unmeasured: stderr.trim().split('\n').at(-1) || `the compile check exited with ${status}` };
  if (result.problems.length > 0) return { unmeasured: 'the mini program does not compile: run npm run upload -- --compile-check' };
  return { bytes: result.packageBytes, files: result.ciFiles.length };
}

function bundleSizes(): { name: string; bytes: number }[] {
  const dir = join(ROOT, 'cloudfunctions');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'index.js')))
    .map((name) => ({ name, bytes: statSync(join(dir, name, 'index.js')).size }));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const rows: Row[] = [];
  // `npm run bench -- --cloud-only`: the cloud-profile sections alone (about 5 minutes);
  // `-- --live-only`: live text alone (about 3 minutes); `-- --local-only`: the local runtime's
  // rows and the sizes (about 3 minutes).
  const cloudOnly = process.argv.includes('--cloud-only');
  const liveOnly = process.argv.includes('--live-only');
  const localOnly = process.argv.includes('--local-only');
  const loadBefore = loadavg();
  const profileLines: string[] = [];
  if (!liveOnly && !localOnly) {
    console.log('bench: cloud profile (LATENCY_PROFILE=cloudbase), one runtime process on loopback…');
    const cloud = await measureCloudProfile((line) => console.log(line), command);
    rows.push(...cloud.rows);
    profileLines.push(cloud.profileLine);
    // Printed now as well: a failure in the sections below must not lose them.
    console.log(['', '| measure | figure | target | |', '|---|---|---|---|', ...cloud.rows.map(tableRow), ''].join('\n'));
  }
  if (!localOnly) {
    console.log('bench: live text, virtual payment in the cloud profile, one runtime process on loopback…');
    try {
      const live = await measureLiveText((line) => console.log(line));
      rows.push(...live.rows);
      if (!profileLines.includes(live.profileLine)) profileLines.push(live.profileLine);
      console.log(['', '| measure | figure | target | |', '|---|---|---|---|', ...live.rows.map(tableRow), ''].join('\n'));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(error instanceof Error ? error.stack : error);
      rows.push({ measure: `live-text section stopped: ${message}`, figure: 'failed', target: '(figures not measured)', met: false });
    }
  }
  if (liveOnly) {
    printTable(rows, startedAt, command, cpu, loadBefore, profileLines, 'Live-text rows only.');
    return;
  }
  if (!cloudOnly) {
    try {
      await localRows(rows);
    } catch (error) {
      // The local rows are information about one process on this machine; say what failed and go on.
      const message = error instanceof Error ? error.message : String(error);
      console.error(error instanceof Error ? error.stack : error);
      rows.push({ measure: `local-runtime section stopped: ${message}`, figure: 'failed', target: '(information)', met: null });
    }
  }
  const mini = miniprogramSize();
  const uploaded = uploadedPackageSize();
  if ('unmeasured' in uploaded) {
    rows.push({ measure: `mini program package as uploaded: not measured (${uploaded.unmeasured})`, figure: 'n/a', target: '< 150 KB', met: null });
  } else {
    rows.push({ measure: `mini program package as uploaded (${uploaded.files} files, miniprogram-ci's compile, minified as project.config.json sets)`, figure: kb(uploaded.bytes), target: '< 150 KB', met: uploaded.bytes < 150 * 1024 });
  }
  rows.push({ measure: `  its source (${mini.files} files under miniprogram/, TypeScript transpiled, not minified)`, figure: kb(mini.bytes), target: '(information)', met: null });
  const bundles = bundleSizes();
  const largest = Math.max(...bundles.map((b) => b.bytes));
  rows.push({ measure: `cloud function bundles (${bundles.length}): ${bundles.map((b) => `${b.name} ${kb(b.bytes)}`).join(', ')}`, figure: `largest ${kb(largest)}`, target: '< 400 KB each', met: largest < 400 * 1024 });

  printTable(
    rows,
    startedAt,
    command,
    cpu,
    loadBefore,
    profileLines,
    cloudOnly
      ? 'Cloud-profile rows only.'
      : 'Gateway overhead in the bench process against the local model server, the rest against local runtime processes, all on 127.0.0.1. Rows marked "one process on this machine" are information only: they measure the local runtime, not the cloud.',
  );
}

/** The table, after a line saying where, when, how loaded and with which profile it was measured. */
function printTable(rows: Row[], startedAt: Date, command: string, cpu: string, loadBefore: number[], profileLines: string[], scope: string): void {
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  // Only the cloud-profile section (bench/cloudProfile.ts) writes them.
  const operations = rows.some((r) => r.measure.startsWith('per completed order')) ? ` Per-order counts written to ${'`'}.bench/order-operations.json${'`'} (npm run report reads them).` : '';
  const lines = [
    `Measured ${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC with \`${command}\` on ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, Node ${process.version}, ${process.platform}; load average ${load(loadBefore)} at the start, ${load(loadavg())} at the end (1/5/15 min). Profile of the cloud rows: ${[...new Set(profileLines)].join(' / ')}. ${scope}${operations}`,
    '',
    '| measure | figure | target | |',
    '|---|---|---|---|',
    ...rows.map(tableRow),
  ];
  console.log(`\n${lines.join('\n')}\n`);
}

const tableRow = (r: Row) => `| ${r.measure} | ${r.figure} | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : '**not met**'} |`;

const LOCAL_MAX_INSTANCES = 8;

/** Waits until no function call waits in line for an instance (GET /api/stats, functions.instances). */
async function untilNoCallWaits(runtime: LocalRuntime, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const stats = await runtime.get<{ functions: { instances: Record<string, { queued: number }> } }>('/api/stats');
    if (Object.values(stats.functions.instances).every((pool) => pool.queued === 0)) return;
    await sleep(500);
  }
}

/** The local-runtime rows: gateway overhead, and the local runtime with no profile (information). */
async function localRows(rows: Row[]): Promise<void> {
  // In this process, before the runtime starts: our routing/attempt/output code against the local
  // model server, beside the openai client calling it directly (bench/gateway.ts).
  console.log('bench: gateway overhead, in process (loopback)…');
  rows.push(...gatewayRows(await measureGatewayOverhead({ log: (line) => console.log(line) })));

  console.log(`bench: starting a local runtime (loopback) on ${availableParallelism()} cores…`);
  // Prewarmed, as `npm run dev` is: no measured call includes a realm's first load.
  const runtime = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '1000000', ORDER_TTL_SECONDS: '600', TIMER_INTERVAL_SECONDS: '0', PREWARM_FUNCTIONS: '1', FUNCTION_MAX_INSTANCES: String(LOCAL_MAX_INSTANCES) });
  // Local-only figures: one runtime process on this machine, its store answering in microseconds.
  // They are kept as information; in the cloud every call is an instance of its own and every
  // store operation a network round trip, so they carry no pass/fail target.
  const local = 'one process on this machine';
  try {
    await runtime.faults({ llm: { firstTokenMs: 0, tokensPerSecond: 1000, answerTokens: 2 } });
    await latencies(runtime, 5); // warm-up: code paths, store files, HTTP connections
    for (const users of [1, 10, 100]) {
      console.log(`  createOrder/getOrder at ${users} concurrent user(s)…`);
      const { create, get } = await latencies(runtime, users);
      rows.push({ measure: `createOrder p50 / p99, ${users} concurrent user${users > 1 ? 's' : ''} (${create.length} calls), ${local}`, figure: `${ms(percentile(create, 50))} / ${ms(percentile(create, 99))}`, target: '(information)', met: null });
      rows.push({ measure: `getOrder p50 / p99, ${users} concurrent user${users > 1 ? 's' : ''} (${get.length} calls), ${local}`, figure: `${ms(percentile(get, 50))} / ${ms(percentile(get, 99))}`, target: '(information)', met: null });
    }
    console.log('  createOrder/getOrder at 100 users who pause about a second between actions…');
    const paced = await latencies(runtime, 100, 1_000);
    rows.push({ measure: `createOrder p50 / p99, 100 users pausing 0.5–1.5 s between actions (${paced.create.length} calls), ${local}`, figure: `${ms(percentile(paced.create, 50))} / ${ms(percentile(paced.create, 99))}`, target: '(information)', met: null });
    rows.push({ measure: `getOrder p50 / p99, 100 users pausing 0.5–1.5 s between actions (${paced.get.length} calls), ${local}`, figure: `${ms(percentile(paced.get, 50))} / ${ms(percentile(paced.get, 99))}`, target: '(information)', met: null });

    // Before the notification rows: their held generations leave generate's instances busy for a while.
    console.log('  pipeline overhead, payment to first visible token…');
    const overhead = await pipelineOverhead(runtime);
    const p50 = percentile(overhead, 50);
    const p99 = percentile(overhead, 99);
    rows.push({ measure: `pipeline overhead: paid → first token visible via getOrder, minus the model's 400 ms first token (${overhead.length} orders, 6 at once)`, figure: `${ms(p50)} / ${ms(p99)}`, target: 'p50 < 250 ms, p99 < 800 ms', met: p50 < 250 && p99 < 800 });

    console.log('  payment notifications with 30% duplicates…');
    const notify = await notificationThroughput(runtime, true);
    rows.push({
      measure: `payment notifications handled per second, 30% duplicated (${notify.sent} for ${notify.orders} orders, 50 at once; ${notify.confirmed} orders confirmed), each started generation streaming in the same process, ${local}`,
      figure: `${Math.round(notify.perSecond)} /s`,
      target: '(information)',
      met: null,
    });
    const handling = await notificationThroughput(runtime, false);
    // The held generations wait in line for generate's instances (at most FUNCTION_MAX_INSTANCES
    // locally; the cloud starts one per call): the next measurement starts once none is left waiting.
    await untilNoCallWaits(runtime, 180_000);
    rows.push({
      measure: `same, 30% duplicated (${handling.sent} for ${handling.orders} orders; ${handling.confirmed} confirmed), the model holding its first token until after the measurement (notification handling and generate's claim only; the local runtime runs at most ${LOCAL_MAX_INSTANCES} generate instances, so most claims wait in line where the cloud would start an instance each), ${local}`,
      figure: `${Math.round(handling.perSecond)} /s`,
      target: '(information)',
      met: null,
    });
    rows.push({ measure: `same notifications replayed once the orders were paid (all duplicates: acknowledged, nothing changes), ${local}`, figure: `${Math.round(notify.duplicatesPerSecond)} /s`, target: '(information)', met: null });

    console.log('  invocations per 20-second generation (about 20 s)…');
    const polls = await invocationsPerGeneration(runtime);
    rows.push({ measure: `getOrder calls per ${polls.answerSeconds.toFixed(0)}-second generation, the order page's policy (services/poller.ts; long-poll waitMs 3000, settleMs 3000, knownRev)`, figure: String(polls.page), target: '≤ 8', met: polls.page <= 8 });
    rows.push({ measure: 'same poller without settleMs (each long-poll returns at the first output batch)', figure: String(polls.eager), target: '(comparison)', met: null });
    rows.push({ measure: 'same, naive page polling once a second', figure: String(polls.naive), target: '(comparison)', met: null });

  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  // fetch hides the reason (refused, reset…) in `cause`.
  if (error instanceof Error && error.cause) console.error('cause:', error.cause);
  process.exit(1);
});
