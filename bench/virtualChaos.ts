import { randomBytes } from 'node:crypto';
import { LocalRuntime } from '../test/support/runtime';
import { invariantCounts, violations } from './invariants';
import { pick } from './weighted';
import { checkVirtualInvariants, readVirtualStore, VIRTUAL_INVARIANT_LABELS, type UserLedger, type VirtualInvariantReport } from './virtualInvariants';

/**
 * Chaos with virtual payment (PAY_MODE=virtual): simulated users log in, top up, and ask questions
 * paid with tokens or bought as items, while WeChat's pushes are duplicated, dropped and delayed,
 * currency_pay answers are lost after the spend went through, models fail, and `generate` workers
 * are killed or run into their time limit, and the database fails, throttles, hangs and loses answers;
 * `reconcile` runs on its timer. At the end every order must have ended, and the money
 * invariants of bench/virtualInvariants.ts are checked against what both sides left on disk and
 * the balances WeChat reports.
 */
export interface VirtualChaosOptions {
  users: number;
  /** Questions each user asks (one after another). */
  questionsPerUser: number;
  /** Users acting at the same time. */
  concurrency: number;
  pushDuplicate: number;
  pushDrop: number;
  pushDelayMs: [number, number];
  currencyPayAnswerLost: number;
  /** Share of model calls that fail (HTTP error, hang, broken or truncated stream). */
  modelFailure: number;
  killGenerate: number;
  /** CloudBase's database failing, per request (local/cloudbase/dbFaults.ts). */
  db: { error: number; throttle: number; timeout: number; lostAnswer: number };
  /** Share of `generate` invocations that run into their time limit (worker.timeouts). */
  generateTimeouts: number;
  reconcileEverySeconds: number;
  orderTtlSeconds: number;
  loadTimeLimitMs: number;
  settleTimeLimitMs: number;
  log: (line: string) => void;
}

export const DEFAULT_VIRTUAL_CHAOS_OPTIONS: VirtualChaosOptions = {
  users: 40,
  questionsPerUser: 6,
  concurrency: 16,
  pushDuplicate: 0.3,
  pushDrop: 0.15,
  pushDelayMs: [0, 1_500],
  currencyPayAnswerLost: 0.15,
  modelFailure: 0.2,
  killGenerate: 0.05,
  db: { error: 0.01, throttle: 0.005, timeout: 0.002, lostAnswer: 0.01 },
  generateTimeouts: 0.05,
  reconcileEverySeconds: 2,
  orderTtlSeconds: 20,
  loadTimeLimitMs: 300_000,
  settleTimeLimitMs: 120_000,
  log: () => undefined,
};

type Journey = 'tokens' | 'tokens_twice' | 'purchase' | 'purchase_cancelled' | 'purchase_abandoned';

const JOURNEYS: [Journey, number][] = [
  ['tokens', 0.55],
  ['tokens_twice', 0.1],
  ['purchase', 0.2],
  ['purchase_cancelled', 0.08],
  ['purchase_abandoned', 0.07],
];
const PROMPTS = ['写一首关于茶的俳句', 'Explain recursion to a child', '用三句话介绍长城', 'Summarise the water cycle', '给我一个周末读书计划'];
const TERMINAL = new Set(['completed', 'refunded', 'closed']);

export interface VirtualChaosReport {
  options: Omit<VirtualChaosOptions, 'log'>;
  startedAt: Date;
  durationMs: number;
  journeys: Record<Journey, number>;
  topUps: { created: number; paid: number };
  answers: { created: number; byPayment: Record<string, number> };
  createErrors: Record<string, number>;
  finalStatuses: Record<string, number>;
  confirmationsBySource: Record<string, number>;
  tokenReturns: number;
  purchaseRefunds: number;
  pushes: Record<string, number>;
  unsettledAfterLoad: number;
  dbFaults: Record<string, number>;
  invariants: VirtualInvariantReport;
  passed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OrderView {
  orderId: string;
  outTradeNo: string;
  status: string;
  rev: number;
}

export async function runVirtualChaos(overrides: Partial<VirtualChaosOptions> = {}): Promise<VirtualChaosReport> {
  const options: VirtualChaosOptions = { ...DEFAULT_VIRTUAL_CHAOS_OPTIONS, ...overrides };
  const { log } = options;
  const startedAt = new Date();
  const runId = randomBytes(3).toString('hex');
  const runtime = await LocalRuntime.start({
    PAY_MODE: 'virtual',
    WELCOME_TOKENS: '5',
    TIMER_INTERVAL_SECONDS: String(options.reconcileEverySeconds),
    ORDER_TTL_SECONDS: String(options.orderTtlSeconds),
    RATE_LIMIT_PER_MINUTE: '10000',
    RECONCILE_NOTIFICATION_GRACE_SECONDS: '3',
    PAYMENT_GRACE_SECONDS: '3',
  });
  let stopped = false;
  try {
    const failureShare = options.modelFailure / 4;
    await runtime.faults({
      xpay: { pushDuplicate: options.pushDuplicate, pushDrop: options.pushDrop, pushDelayMs: options.pushDelayMs, currencyPayAnswerLost: options.currencyPayAnswerLost },
      llm: { error: failureShare, errorStatus: 503, timeout: failureShare, midStreamError: failureShare, truncate: failureShare, firstTokenMs: 60, tokensPerSecond: 200, answerTokens: 30 },
      worker: { killGenerate: options.killGenerate, killAfterMs: [80, 400], maxKillsPerOrder: 1, timeouts: { generate: options.generateTimeouts } },
      db: options.db,
    });

    const journeys = Object.fromEntries(JOURNEYS.map(([j]) => [j, 0])) as Record<Journey, number>;
    const createErrors: Record<string, number> = {};
    const byPayment: Record<string, number> = {};
    const topUps = { created: 0, paid: 0 };
    const ledger: UserLedger = new Map();
    const loadDeadline = Date.now() + options.loadTimeLimitMs;
    const noteError = (code: string) => {
      createErrors[code] = (createErrors[code] ?? 0) + 1;
    };

    const login = async (user: string) => (await runtime.post<{ code: string }>('/api/wx/login', {}, { 'X-WX-OPENID': user })).json.code;

    const watch = async (orderId: string, user: string) => {
      const until = Date.now() + 40_000;
      let knownRev: number | undefined;
      while (Date.now() < until) {
        const answer = await runtime.call<{ ok: boolean; order?: OrderView }>('getOrder', { orderId, waitMs: 3000, ...(knownRev !== undefined ? { knownRev } : {}) }, user);
        if (!answer.ok || !answer.order || TERMINAL.has(answer.order.status)) return;
        knownRev = answer.order.rev;
      }
    };

    const topUp = async (user: string, packId: string) => {
      const created = await runtime.call<{ ok: boolean; topUp?: { outTradeNo: string }; error?: { code: string } }>('createTopUp', { packId, loginCode: await login(user) }, user);
      if (!created.ok || !created.topUp) return noteError(`createTopUp ${created.error?.code ?? '?'}`);
      topUps.created += 1;
      if ((await runtime.pay(created.topUp.outTradeNo)).ok) topUps.paid += 1;
    };

    const ask = async (user: string, payWith: 'tokens' | 'purchase', orders: string[]): Promise<OrderView | null> => {
      const prompt = PROMPTS[Math.floor(Math.random() * PROMPTS.length)] as string;
      let answer = await runtime.call<{ ok: boolean; order?: OrderView; error?: { code: string } }>('createOrder', { tier: 'quick', prompt, payWith }, user);
      if (!answer.ok && answer.error?.code === 'SESSION_EXPIRED') answer = await runtime.call('createOrder', { tier: 'quick', prompt, payWith, loginCode: await login(user) }, user);
      if (!answer.ok && answer.error?.code === 'INSUFFICIENT_BALANCE') {
        await topUp(user, 'p55');
        await sleep(300);
        answer = await runtime.call('createOrder', { tier: 'quick', prompt, payWith }, user);
      }
      if (!answer.ok || !answer.order) {
        noteError(answer.error?.code ?? 'unknown');
        return null;
      }
      orders.push(answer.order.orderId);
      byPayment[payWith] = (byPayment[payWith] ?? 0) + 1;
      return answer.order;
    };

    const actAs = async (user: string) => {
      const orders: string[] = [];
      ledger.set(user, { orderIds: orders, balance: 0 });
      await runtime.call('getBalance', { loginCode: await login(user) }, user);
      await topUp(user, Math.random() < 0.5 ? 'p10' : 'p55');
      for (let q = 0; q < options.questionsPerUser && Date.now() < loadDeadline; q += 1) {
        const journey = pick(JOURNEYS);
        journeys[journey] += 1;
        switch (journey) {
          case 'tokens': {
            const order = await ask(user, 'tokens', orders);
            if (order) await watch(order.orderId, user);
            break;
          }
          case 'tokens_twice': {
            // A double tap: two at once; the one-active-payment lock lets one through at a time.
            const both = await Promise.all([ask(user, 'tokens', orders), ask(user, 'tokens', orders)]);
            for (const order of both) if (order) await watch(order.orderId, user);
            break;
          }
          case 'purchase': {
            const order = await ask(user, 'purchase', orders);
            if (!order) break;
            await runtime.pay(order.outTradeNo);
            await watch(order.orderId, user);
            break;
          }
          case 'purchase_cancelled': {
            const order = await ask(user, 'purchase', orders);
            if (!order) break;
            await runtime.pay(order.outTradeNo, 'cancel');
            await runtime.call('cancelOrder', { orderId: order.orderId }, user);
            break;
          }
          case 'purchase_abandoned':
            // Created and left: reconcile closes it once it expires.
            await ask(user, 'purchase', orders);
            break;
        }
      }
    };

    const users = Array.from({ length: options.users }, (_, i) => `vchaos-${runId}-${i}`);
    let next = 0;
    const workers = Array.from({ length: Math.min(options.concurrency, users.length) }, async () => {
      while (next < users.length && Date.now() < loadDeadline) {
        const user = users[next++] as string;
        await actAs(user).catch((error: unknown) => noteError(`journey ${String(error).slice(0, 60)}`));
      }
    });
    await Promise.all(workers);
    log(`load done: ${ledger.size} users, ${[...ledger.values()].reduce((n, u) => n + u.orderIds.length, 0)} answers`);

    // Settle: faults off, then every order must end (pushes retried, reconcile finding the rest).
    await runtime.faults({ reset: true });
    await runtime.faults({ llm: { firstTokenMs: 20, tokensPerSecond: 400, answerTokens: 30 } });
    const settleDeadline = Date.now() + options.settleTimeLimitMs;
    let unsettled = Infinity;
    let unsettledAfterLoad = -1;
    while (Date.now() < settleDeadline) {
      // Every order in the store, not only those the users saw: a createOrder whose answer was lost
      // (a database fault) may have stored and paid one all the same.
      const open = (await readVirtualStore(runtime.dataDir)).orders.filter((order) => !TERMINAL.has(order.status)).length;
      if (unsettledAfterLoad < 0) unsettledAfterLoad = open;
      unsettled = open;
      if (open === 0) break;
      log(`settling: ${open} orders not ended yet`);
      await sleep(2_000);
    }
    // A last reconcile pass gives back or confirms anything still owed, then WeChat's balances are read.
    await runtime.trigger('reconcile');
    await sleep(1_000);
    for (const [user, entry] of ledger) {
      const wechat = await runtime.get<{ balances: Record<string, { balance: number }> }>(`/api/inspect/xpay/users/${user}`);
      entry.balance = wechat.balances['0']?.balance ?? 0;
    }
    const dbFaults = (await runtime.get<{ dbFaults: Record<string, number> }>('/api/stats')).dbFaults;
    const pushes = await runtime.get<{ pushes?: { status: string }[] }>('/api/inspect/xpay/pushes');
    const pushCounts: Record<string, number> = {};
    for (const push of pushes.pushes ?? []) pushCounts[push.status] = (pushCounts[push.status] ?? 0) + 1;
    await runtime.stop();
    stopped = true;

    const snapshot = await readVirtualStore(runtime.dataDir);
    const invariants = checkVirtualInvariants(snapshot, ledger);
    if (unsettled > 0) invariants.purchasesNeitherCompletedNorRefunded.push(`${unsettled} orders still open after the settle time`);
    const finalStatuses: Record<string, number> = {};
    for (const order of snapshot.orders) finalStatuses[order.status] = (finalStatuses[order.status] ?? 0) + 1;
    const confirmationsBySource: Record<string, number> = {};
    for (const event of snapshot.events) {
      if (event.type === 'payment_confirmed' || event.type === 'top_up_paid') {
        const raw = event.detail?.source;
        const source = typeof raw === 'string' ? raw : '?';
        confirmationsBySource[source] = (confirmationsBySource[source] ?? 0) + 1;
      }
    }
    const tokenReturns = snapshot.coinOps.filter((op) => op.type === 'cancel').length;
    const purchaseRefunds = snapshot.cashOrders.filter((order) => order.kind === 'refund' && order.status === 5).length;
    const { log: _log, ...reported } = options;
    void _log;
    return {
      options: reported,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      journeys,
      topUps,
      answers: { created: [...ledger.values()].reduce((n, u) => n + u.orderIds.length, 0), byPayment },
      createErrors,
      finalStatuses,
      confirmationsBySource,
      tokenReturns,
      purchaseRefunds,
      pushes: pushCounts,
      unsettledAfterLoad: Math.max(0, unsettledAfterLoad),
      dbFaults,
      invariants,
      passed: violations(invariants) === 0,
    };
  } finally {
    if (!stopped) await runtime.stop();
  }
}

/** The report as one table, for `npm run chaos -- --pay-mode virtual`. */
export function renderVirtualChaos(report: VirtualChaosReport): string {
  const lines: string[] = [];
  const row = (label: string, value: unknown) => lines.push(`  ${label.padEnd(56)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  lines.push(`Virtual payment chaos, ${report.startedAt.toISOString()}, ${(report.durationMs / 1000).toFixed(0)} s`);
  row('users × questions, concurrency', `${report.options.users} × ${report.options.questionsPerUser}, ${report.options.concurrency}`);
  row('pushes duplicated / dropped / delay', `${report.options.pushDuplicate} / ${report.options.pushDrop} / ${report.options.pushDelayMs.join('–')} ms`);
  row('currency_pay answers lost after the spend', report.options.currencyPayAnswerLost);
  row('model calls failing, generate workers killed / timed out', `${report.options.modelFailure}, ${report.options.killGenerate} / ${report.options.generateTimeouts}`);
  row('db errors / throttled / unanswered / answers lost', `${report.options.db.error} / ${report.options.db.throttle} / ${report.options.db.timeout} / ${report.options.db.lostAnswer}`);
  row('db faults that happened', report.dbFaults);
  row('journeys', report.journeys);
  row('top-ups created / paid', `${report.topUps.created} / ${report.topUps.paid}`);
  row('answers, by payment', `${report.answers.created} ${JSON.stringify(report.answers.byPayment)}`);
  row('refused at creation', report.createErrors);
  row('payments confirmed by', report.confirmationsBySource);
  row('pushes, by final state', report.pushes);
  row('token returns, purchase refunds', `${report.tokenReturns}, ${report.purchaseRefunds}`);
  row('orders not ended when the load stopped', report.unsettledAfterLoad);
  row('final statuses', report.finalStatuses);
  lines.push('  money invariants (each must be 0):');
  const counts = invariantCounts(report.invariants);
  for (const [key, label] of Object.entries(VIRTUAL_INVARIANT_LABELS) as [keyof VirtualInvariantReport, string][]) {
    const offenders = report.invariants[key];
    lines.push(`    ${label.padEnd(70)}${String(counts[key]).padStart(4)}  ${counts[key] === 0 ? 'PASS' : `FAIL ${offenders.slice(0, 5).join(', ')}`}`);
  }
  lines.push(report.passed ? 'PASS' : 'FAIL');
  return lines.join('\n');
}
