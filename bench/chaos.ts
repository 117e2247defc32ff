import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRuntime } from '../test/support/runtime';
import { checkInvariants, INVARIANT_LABELS, invariantCounts, violations, type InvariantReport } from './invariants';
import { readStore, type StoreSnapshot } from './store';
import { renderVirtualChaos, runVirtualChaos, type VirtualChaosOptions } from './virtualChaos';
import { pick } from './weighted';

/**
 * A chaos run against a real local runtime process (loopback only): many simulated users buy
 * answers while payment notifications are duplicated, dropped, delayed and tampered with, model
 * calls fail or hang, and `generate` workers are killed mid-stream; `reconcile` runs on its timer.
 * At the end the runtime is stopped and the money invariants are checked against what is on disk.
 */
export interface ChaosOptions {
  orders: number;
  /** Simulated users acting at the same time (each runs its orders one after another). */
  concurrency: number;
  /** `simulator` (cloud-pay callbacks) or `v3` (signed API v3 notifications, once available). */
  payMode: 'simulator' | 'v3';
  duplicate: number;
  drop: number;
  tamper: number;
  /** Share of model calls that fail (HTTP error, hang, broken or truncated stream). */
  modelFailure: number;
  /**
   * Error rates for the quick tier's two models (qwen-turbo, then deepseek-chat), in place of
   * `modelFailure`'s share of HTTP errors for them (its hangs and broken streams still apply): when
   * both fail the order is refunded, so a run can be made to refund surely.
   */
  quickTierModelErrors?: { primary: number; fallback: number };
  killGenerate: number;
  /** Share of `generate` invocations that end as at their time limit mid-stream (frozen, to resume during a later one). */
  timeoutGenerate: number;
  maxKillsPerOrder: number;
  /**
   * CloudBase's database failing, on every collection and operation (`POST /api/faults { db }`):
   * transient errors, throttling, no answer, and answers lost after the write.
   */
  db: { error: number; throttle: number; timeout: number; lostAnswer: number };
  /** Notification delays, so copies arrive at once, late, and out of order. */
  notifyDelayMs: [number, number];
  /** How long a user who stays on the page watches an order before leaving (the settle phase waits for the rest). */
  watchLimitMs: number;
  reconcileEverySeconds: number;
  orderTtlSeconds: number;
  /** GENERATION_LEASE_SECONDS: how long a killed worker's order waits before reconcile resumes it (default 15). */
  generationLeaseSeconds?: number;
  /** FUNCTION_MAX_INSTANCES: the bound on each function's instances (the runtime's default otherwise). */
  functionMaxInstances?: number;
  /** No new orders are started after this long: the run is bounded in time as well as count. */
  loadTimeLimitMs: number;
  /** How long paid orders get to finish (leases running out, reconcile) after the load. */
  settleTimeLimitMs: number;
  log: (line: string) => void;
}

export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = {
  orders: 2_000,
  concurrency: 48,
  payMode: 'simulator',
  duplicate: 0.3,
  drop: 0.1,
  tamper: 0.05,
  modelFailure: 0.15,
  killGenerate: 0.08,
  timeoutGenerate: 0.04,
  maxKillsPerOrder: 0,
  db: { error: 0.01, throttle: 0.005, timeout: 0.002, lostAnswer: 0.005 },
  notifyDelayMs: [0, 2_500],
  watchLimitMs: 40_000,
  reconcileEverySeconds: 2,
  orderTtlSeconds: 20,
  loadTimeLimitMs: 420_000,
  settleTimeLimitMs: 120_000,
  log: () => undefined,
};

type Journey = 'pay' | 'pay_twice' | 'cancel_then_pay' | 'cancel' | 'abandon' | 'fail_then_cancel';

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  /** The runtime's DATA_DIR (with its output in runtime.log), left on disk to look into a failed run. */
  dataDir: string;
  startedAt: Date;
  durationMs: number;
  ordersStarted: number;
  ordersCreated: number;
  journeys: Record<Journey, number>;
  createErrors: Record<string, number>;
  paidBySimulator: number;
  forgedNotifications: number;
  unsettledAfterLoad: number;
  finalStatuses: Record<string, number>;
  notifications: { genuine: number; tampered: number; droppedTrades: number };
  confirmationsBySource: Record<string, number>;
  rejectedAmountMismatches: number;
  workerKills: number;
  /** Invocations that ran into their time limit (or the timeoutGenerate fault), and handlers that resumed after one. */
  timedOut: number;
  lateSettled: number;
  /** Instances of each function at the end of the run. */
  instances: Record<string, number>;
  /** The database faults that happened, by kind. */
  dbFaults: { error: number; throttle: number; timeout: number; lostAnswer: number };
  generationsResumed: number;
  generationsRedispatched: number;
  modelRequests: number;
  refundsInLedger: number;
  subscribeMessages: number;
  invariants: InvariantReport;
  passed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const JOURNEYS: [Journey, number][] = [
  ['pay', 0.7],
  ['pay_twice', 0.08],
  ['cancel_then_pay', 0.07],
  ['cancel', 0.05],
  ['abandon', 0.05],
  ['fail_then_cancel', 0.05],
];

const PROMPTS = ['Write a haiku about tea', '用三句话介绍长城', 'Explain recursion to a child', '给我一个周末读书计划', 'Summarise the water cycle'];
const TERMINAL = new Set(['completed', 'refunded', 'closed']);

interface ClientOrderView {
  orderId: string;
  outTradeNo: string;
  status: string;
  rev: number;
  amountFen: number;
}

/** Runs the chaos scenario and returns its report; the runtime it starts is always stopped. */
export async function runChaos(overrides: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options: ChaosOptions = { ...DEFAULT_CHAOS_OPTIONS, ...overrides };
  const { log } = options;
  const startedAt = new Date();
  const runId = randomBytes(3).toString('hex');
  const runtime = await LocalRuntime.start({
    TIMER_INTERVAL_SECONDS: String(options.reconcileEverySeconds),
    // WeChat Pay v3 refuses a time_expire less than a minute ahead (and so does start-up).
    ORDER_TTL_SECONDS: String(options.payMode === 'v3' ? Math.max(70, options.orderTtlSeconds) : options.orderTtlSeconds),
    RATE_LIMIT_PER_MINUTE: '10000',
    ...(options.payMode === 'v3' ? { PAY_MODE: 'v3' } : {}),
    ...(options.generationLeaseSeconds !== undefined ? { GENERATION_LEASE_SECONDS: String(options.generationLeaseSeconds) } : {}),
    ...(options.functionMaxInstances !== undefined ? { FUNCTION_MAX_INSTANCES: String(options.functionMaxInstances) } : {}),
  });
  let stopped = false;
  try {
    const failureShare = options.modelFailure / 4;
    await runtime.faults({
      pay: { duplicate: options.duplicate, drop: options.drop, tamper: options.tamper, delayMs: options.notifyDelayMs },
      llm: {
        error: failureShare,
        errorStatus: 503,
        timeout: failureShare,
        midStreamError: failureShare,
        truncate: failureShare,
        firstTokenMs: 60,
        tokensPerSecond: 100,
        answerTokens: 30,
        ...(options.quickTierModelErrors !== undefined
          ? { byModel: { 'qwen-turbo': { error: options.quickTierModelErrors.primary }, 'deepseek-chat': { error: options.quickTierModelErrors.fallback } } }
          : {}),
      },
      worker: { killGenerate: options.killGenerate, timeouts: { generate: options.timeoutGenerate }, killAfterMs: [80, 400], maxKillsPerOrder: options.maxKillsPerOrder },
      db: options.db,
    });

    const journeys = Object.fromEntries(JOURNEYS.map(([j]) => [j, 0])) as Record<Journey, number>;
    const createErrors: Record<string, number> = {};
    const paid = new Map<string, { orderId: string; user: string }>();
    const forgedOrders: string[] = [];
    let ordersStarted = 0;
    let ordersCreated = 0;
    let forgedNotifications = 0;
    const loadDeadline = Date.now() + options.loadTimeLimitMs;

    const getOrder = async (orderId: string, user: string, extra: Record<string, unknown> = {}): Promise<ClientOrderView | null> => {
      const answer = await runtime.call<{ ok: boolean; order?: ClientOrderView }>('getOrder', { orderId, ...extra }, user);
      return answer.ok && answer.order ? answer.order : null;
    };

    /** What the page does after paying: long-poll with the revision it knows until the order ends. */
    const watch = async (orderId: string, user: string, leaveEarly: boolean) => {
      const until = Date.now() + options.watchLimitMs;
      let knownRev: number | undefined;
      while (Date.now() < until) {
        const order = await getOrder(orderId, user, { waitMs: 3000, ...(knownRev !== undefined ? { knownRev } : {}) });
        if (!order || TERMINAL.has(order.status) || leaveEarly) return;
        knownRev = order.rev;
      }
    };

    /**
     * A notification nobody paid for: it must never make the order paid (checked at the end against
     * the ledger and the audit log, since the order may close meanwhile for its own reasons).
     */
    const forge = async (order: ClientOrderView, user: string) => {
      const before = await getOrder(order.orderId, user);
      if (!before) return;
      forgedNotifications += 1;
      forgedOrders.push(order.orderId);
      if (options.payMode === 'v3') {
        await runtime.post(
          '/api/notify/wechatpay',
          {
            id: randomBytes(16).toString('hex'),
            create_time: new Date().toISOString(),
            resource_type: 'encrypt-resource',
            event_type: 'TRANSACTION.SUCCESS',
            summary: '支付成功',
            resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: randomBytes(96).toString('base64'), nonce: randomBytes(6).toString('hex'), associated_data: 'transaction' },
          },
          {
            'Wechatpay-Serial': 'FORGED',
            'Wechatpay-Timestamp': String(Math.floor(Date.now() / 1000)),
            'Wechatpay-Nonce': randomBytes(16).toString('hex'),
            'Wechatpay-Signature': randomBytes(256).toString('base64'),
          },
        );
      } else {
        const amount = Math.random() < 0.5 ? before.amountFen : before.amountFen + 1;
        await runtime.post('/api/triggers/payCallback', {
          data: { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: before.outTradeNo, totalFee: amount, cashFee: amount, transactionId: `4200${Date.now()}`, tradeType: 'JSAPI', feeType: 'CNY' },
        });
      }
    };

    const journey = async (user: string, kind: Journey): Promise<'switch_user' | void> => {
      const expert = Math.random() < 0.15;
      const data = { tier: expert ? 'expert' : 'quick', prompt: PROMPTS[Math.floor(Math.random() * PROMPTS.length)], subscribe: expert && Math.random() < 0.7 };
      const tries = kind === 'pay_twice' ? 2 : 1;
      const answers = await Promise.all(Array.from({ length: tries }, () => runtime.call<{ ok: boolean; order?: ClientOrderView; error?: { code: string } }>('createOrder', data, user)));
      let order: ClientOrderView | undefined;
      for (const answer of answers) {
        if (answer.ok && answer.order) order = answer.order;
        else if (answer.error) createErrors[answer.error.code] = (createErrors[answer.error.code] ?? 0) + 1;
      }
      if (!order) return 'switch_user';
      ordersCreated += 1;
      journeys[kind] += 1;
      const payAndWatch = async () => {
        const payments = await Promise.all(Array.from({ length: tries }, () => runtime.pay(order.outTradeNo, 'success')));
        if (payments.some((p) => p.ok)) paid.set(order.outTradeNo, { orderId: order.orderId, user });
        await watch(order.orderId, user, Math.random() < 0.3);
      };
      switch (kind) {
        case 'pay':
        case 'pay_twice':
          return payAndWatch();
        case 'cancel_then_pay':
          await runtime.pay(order.outTradeNo, 'cancel');
          await getOrder(order.orderId, user);
          return payAndWatch();
        case 'cancel':
        case 'fail_then_cancel':
          await runtime.pay(order.outTradeNo, kind === 'cancel' ? 'cancel' : 'fail');
          await runtime.call('cancelOrder', { orderId: order.orderId }, user);
          return forge(order, user);
        case 'abandon':
          await forge(order, user);
          return 'switch_user';
      }
    };

    let next = 0;
    const worker = async (w: number) => {
      let userSeq = 0;
      let ordersByUser = 0;
      for (;;) {
        if (next >= options.orders || Date.now() > loadDeadline) return;
        next += 1;
        ordersStarted += 1;
        const user = `chaos-${runId}-w${w}-u${userSeq}`;
        let outcome: 'switch_user' | void;
        try {
          outcome = await journey(user, pick(JOURNEYS));
        } catch (error) {
          createErrors.DRIVER_ERROR = (createErrors.DRIVER_ERROR ?? 0) + 1;
          log(`driver error: ${error instanceof Error ? error.message : String(error)}`);
          outcome = 'switch_user';
        }
        ordersByUser += 1;
        if (outcome === 'switch_user' || ordersByUser >= 5) {
          userSeq += 1;
          ordersByUser = 0;
        }
      }
    };
    const progress = setInterval(() => log(`  … ${ordersStarted}/${options.orders} orders started, ${paid.size} paid`), 15_000);
    try {
      await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
    } finally {
      clearInterval(progress);
    }
    log(`load done: ${ordersStarted} orders started, ${paid.size} paid; settling (reconcile every ${options.reconcileEverySeconds}s)`);

    // Settle: every paid order must reach completed or refunded (leases run out, reconcile resumes or refunds).
    const open = new Map(paid);
    const settleDeadline = Date.now() + options.settleTimeLimitMs;
    while (open.size > 0 && Date.now() < settleDeadline) {
      const batch = [...open.entries()];
      for (let i = 0; i < batch.length; i += 25) {
        await Promise.all(
          batch.slice(i, i + 25).map(async ([outTradeNo, { orderId, user }]) => {
            const order = await getOrder(orderId, user).catch(() => null);
            if (order && (order.status === 'completed' || order.status === 'refunded')) open.delete(outTradeNo);
          }),
        );
      }
      if (open.size > 0) await sleep(1_000);
    }
    // Late duplicate notifications still in flight land before the runtime stops.
    await sleep(options.notifyDelayMs[1] + 500);
    const stats = await runtime.get<{
      killed: number;
      model: { requests: number };
      notifications?: { genuine: number; tampered: number };
      functions: { timedOut: number; lateSettled: number; instances: Record<string, { instances: number }> };
      dbFaults: ChaosReport['dbFaults'];
    }>('/api/stats');
    const messages = await runtime.get<{ messages: unknown[] }>('/api/messages');
    await runtime.stop();
    stopped = true;
    // The functions' log lines, beside the store, for a look into a failed run.
    writeFileSync(join(runtime.dataDir, 'runtime.log'), runtime.output);

    const snapshot = await readStore(runtime.dataDir);
    const invariants = checkInvariants(snapshot, forgedOrders);
    const report: ChaosReport = {
      options: { ...options, log: undefined } as unknown as Omit<ChaosOptions, 'log'>,
      dataDir: runtime.dataDir,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      ordersStarted,
      ordersCreated,
      journeys,
      createErrors,
      paidBySimulator: paid.size,
      forgedNotifications,
      unsettledAfterLoad: open.size,
      ...summarise(snapshot),
      notifications: { genuine: stats.notifications?.genuine ?? 0, tampered: stats.notifications?.tampered ?? 0, droppedTrades: snapshot.trades.filter((t) => t.notificationDropped).length },
      workerKills: stats.killed,
      timedOut: stats.functions.timedOut,
      lateSettled: stats.functions.lateSettled,
      instances: Object.fromEntries(Object.entries(stats.functions.instances).map(([name, pool]) => [name, pool.instances])),
      dbFaults: stats.dbFaults,
      modelRequests: stats.model.requests,
      subscribeMessages: messages.messages.length,
      invariants,
      // A run that paid for nothing proves nothing (e.g. a pay mode that is not available yet).
      passed: violations(invariants) === 0 && ordersStarted === options.orders && paid.size > 0 && open.size === 0,
    };
    delete (report.options as Partial<ChaosOptions>).log;
    return report;
  } finally {
    if (!stopped) await runtime.stop();
  }
}

function summarise(snapshot: StoreSnapshot) {
  const finalStatuses: Record<string, number> = {};
  for (const order of snapshot.orders) finalStatuses[order.status] = (finalStatuses[order.status] ?? 0) + 1;
  const confirmationsBySource: Record<string, number> = {};
  let rejectedAmountMismatches = 0;
  let generationsResumed = 0;
  let generationsRedispatched = 0;
  for (const event of snapshot.events) {
    if (event.type === 'payment_confirmed') {
      const source = typeof event.detail?.source === 'string' ? event.detail.source : 'unknown';
      confirmationsBySource[source] = (confirmationsBySource[source] ?? 0) + 1;
    } else if (event.type === 'amount_mismatch') rejectedAmountMismatches += 1;
    else if (event.type === 'generation_resumed') generationsResumed += 1;
    else if (event.type === 'generation_redispatched') generationsRedispatched += 1;
  }
  return { finalStatuses, confirmationsBySource, rejectedAmountMismatches, generationsResumed, generationsRedispatched, refundsInLedger: snapshot.refunds.length };
}

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
const percentOf = (rate: number) => `${Number((rate * 100).toFixed(2))}%`;

/** The chaos run as one markdown table: what was thrown at the runtime, what happened, and the invariants. */
export function formatChaosTable(report: ChaosReport, command: string): string {
  const o = report.options;
  const rows: [string, string][] = [
    ['command', `\`${command}\``],
    ['date (UTC)', report.startedAt.toISOString().replace('T', ' ').slice(0, 16)],
    ['pay mode', o.payMode === 'v3' ? 'API v3 notifications' : 'cloud-pay callbacks (simulator)'],
    ['orders started / created', `${report.ordersStarted} / ${report.ordersCreated} (${o.concurrency} users at a time)`],
    ['journeys', Object.entries(report.journeys).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['createOrder refusals', Object.entries(report.createErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ['paid (simulator said ok)', String(report.paidBySimulator)],
    ['faults', `duplicate ${percent(o.duplicate)}, drop ${percent(o.drop)}, tamper ${percent(o.tamper)}, model failures ${percent(o.modelFailure)}, generate killed ${percent(o.killGenerate)}, generate timed out ${percent(o.timeoutGenerate)}`],
    ['database faults (rate per request)', `error ${percentOf(o.db.error)}, throttle ${percentOf(o.db.throttle)}, no answer ${percentOf(o.db.timeout)}, answer lost after the write ${percentOf(o.db.lostAnswer)}`],
    ['database faults that happened', `${report.dbFaults.error} errors, ${report.dbFaults.throttle} throttled, ${report.dbFaults.timeout} unanswered, ${report.dbFaults.lostAnswer} answers lost`],
    ['notifications sent', `${report.notifications.genuine} genuine copies, ${report.notifications.tampered} tampered, ${report.notifications.droppedTrades} trades with every notification dropped`],
    ['forged notifications (unpaid orders)', String(report.forgedNotifications)],
    ['payments confirmed by', Object.entries(report.confirmationsBySource).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['wrong-amount notifications rejected', String(report.rejectedAmountMismatches)],
    ['workers killed / generations resumed / redispatched', `${report.workerKills} / ${report.generationsResumed} / ${report.generationsRedispatched}`],
    ['invocations timed out / left-over handlers that resumed later', `${report.timedOut} / ${report.lateSettled}`],
    ['instances per function at the end', Object.entries(report.instances).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['model requests', String(report.modelRequests)],
    ['final statuses', Object.entries(report.finalStatuses).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['refunds in ledger / subscribe messages sent', `${report.refundsInLedger} / ${report.subscribeMessages}`],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
  ];
  const counts = invariantCounts(report.invariants);
  const lines = ['| chaos run | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '| **money invariants** | **must be 0** |'];
  for (const [key, label] of Object.entries(INVARIANT_LABELS)) lines.push(`| ${label} | ${counts[key as keyof InvariantReport]} |`);
  lines.push(`| **result** | **${report.passed ? 'PASS' : 'FAIL'}** |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      concurrency: { type: 'string' },
      'pay-mode': { type: 'string' },
      users: { type: 'string' },
      questions: { type: 'string' },
    },
  });
  const payMode = values['pay-mode'] ?? 'simulator';
  if (payMode === 'virtual') {
    // Virtual payment has its own journeys (top-ups, tokens, items) and invariants: bench/virtualChaos.ts.
    const virtual: Partial<VirtualChaosOptions> = { log: (line) => console.log(line) };
    if (values.users) virtual.users = Math.max(1, Math.min(1_000, Number(values.users)));
    if (values.questions) virtual.questionsPerUser = Math.max(1, Math.min(50, Number(values.questions)));
    if (values.concurrency) virtual.concurrency = Math.max(1, Math.min(200, Number(values.concurrency)));
    const report = await runVirtualChaos(virtual);
    console.log(`\n${renderVirtualChaos(report)}\n`);
    if (!report.passed) process.exitCode = 1;
    return;
  }
  if (payMode !== 'simulator' && payMode !== 'v3') throw new Error('--pay-mode must be simulator, v3 or virtual');
  const overrides: Partial<ChaosOptions> = { payMode, log: (line) => console.log(line) };
  if (values.orders) overrides.orders = Math.max(1, Math.min(100_000, Number(values.orders)));
  if (values.concurrency) overrides.concurrency = Math.max(1, Math.min(500, Number(values.concurrency)));
  const command = ['npm run chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  console.log(`chaos: ${overrides.orders ?? DEFAULT_CHAOS_OPTIONS.orders} orders, pay mode ${payMode}`);
  const report = await runChaos(overrides);
  console.log(`\n${formatChaosTable(report, command)}\n`);
  if (!report.passed) {
    for (const [key, ids] of Object.entries(report.invariants)) if ((ids as string[]).length) console.log(`${key}: ${(ids as string[]).slice(0, 10).join(', ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
