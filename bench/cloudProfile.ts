import { FUNCTIONS, isFunctionName } from '../core/functions/catalog';
import { platformCostFen, readPlatformPrices, type PlatformPrices } from '../scripts/platformPrices';
import { TIERS } from '../core/config/tiers';
import type { InvocationUsage } from '../local/functions/usage';
import { defaultFaults } from '../local/pay/faults';
import { attributeToOrders, perFunction, type OrderTotals } from '../local/profile/attribution';
import { Poller, pollResult, type PollResult } from '../miniprogram/services/poller';
import { longPollInput, Reveal } from '../miniprogram/services/textFlow';
import type { ClientOrder } from '../miniprogram/services/types';
import { LocalRuntime } from '../test/support/runtime';
import { ms, percentile, type Row } from './figures';
import { startTracedModelServer, writtenBy } from './tracedModelServer';
import { writeOrderOperations, type OperationCounts, type OrderOperations, type OrderOutcome } from './orderOperations';

/**
 * The cloud profile's figures (`npm run bench`): a local runtime with `LATENCY_PROFILE=cloudbase`
 * (every database operation, callFunction, cloud call and the client's wx.cloud.callFunction
 * delayed as local/profile/cloudProfile.ts draws them; new instances start cold), driven the way
 * a user drives the order page, with the page's own Poller, long-poll request and paced Reveal.
 *
 * The model is a local model server in this process (LLM_BASE_URL points every tier at it), so the
 * model's own first-token and last-token times are known to the millisecond and taken out.
 *
 * It also counts what each order consumed (local/functions/usage.ts, attributed by
 * local/profile/attribution.ts), prices it (scripts/platformPrices.ts) and writes the
 * per-order counts `npm run report` reads (bench/orderOperations.ts).
 */

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The model: its first token after 500 ms, then 45 tokens at 30 a second (a 2-second answer). */
const MODEL = { firstTokenMs: 500, tokensPerSecond: 30, answerTokens: 45 };
const WARM_ORDERS = 16;
const COLD_ORDERS = 4;
const REFUNDED_ORDERS = 3;
const CLOSED_ORDERS = 3;
/** Warm targets (issue 14). */
const TARGET = { tapToSheetP95: 600, firstTextP50: 800, firstTextP95: 1_500 };
const TIER = 'quick';

/** The local model server, with the model's own time per request (first and last text written) known. */
async function startModel() {
  const faults = defaultFaults();
  faults.llm = { ...faults.llm, ...MODEL, error: 0, timeout: 0 };
  return { ...(await startTracedModelServer(faults)), faults };
}

interface Flow {
  orderId: string;
  outcome: OrderOutcome;
  /** Tap on "pay" → createOrder's answer in hand (the WeChat Pay sheet opens). */
  tapToSheetMs: number;
  /** Pay sheet success → first text on screen, minus the model's own time to first token. */
  firstTextOverheadMs: number | null;
  /**
   * The same, minus all the model's own time to write the text first shown (content security
   * shows nothing before a whole checked piece, 120 characters, exists): the pipeline alone.
   */
  firstTextPipelineMs: number | null;
  /** The model's last token → "completed" on screen. */
  lastTokenToCompletedMs: number | null;
  /** getOrder calls the page made. */
  polls: number;
}

interface FlowContext {
  runtime: LocalRuntime;
  model: Awaited<ReturnType<typeof startModel>>;
  user: string;
}

/** One order as a user makes it: tap, pay, watch the answer through the order page's own polling. */
async function followOrder({ runtime, model, user }: FlowContext, outcome: OrderOutcome): Promise<Flow> {
  const tapAt = now();
  const created = await runtime.call<{ ok: boolean; order: ClientOrder; error?: { code: string } }>('createOrder', { tier: TIER, prompt: 'Explain how green tea is made' }, user);
  const tapToSheetMs = now() - tapAt;
  if (!created.ok) throw new Error(`createOrder failed: ${created.error?.code}`);
  const orderId = created.order.orderId;
  if (outcome === 'closed') {
    const cancelled = await runtime.call<{ ok: boolean; order: ClientOrder }>('cancelOrder', { orderId }, user);
    if (!cancelled.ok || cancelled.order.status !== 'closed') throw new Error('cancelOrder did not close the order');
    return { orderId, outcome, tapToSheetMs, firstTextOverheadMs: null, firstTextPipelineMs: null, lastTokenToCompletedMs: null, polls: 0 };
  }
  const tracesBefore = model.traces.length;
  const paid = await runtime.pay(created.order.outTradeNo);
  // The pay sheet reports success to the page now; the page shows "confirming" at once
  // (pages/order/order.ts phaseOf: paidOnThisPhone), with no round trip.
  const paidAt = now();
  if (!paid.ok) throw new Error(`pay failed: ${paid.errMsg}`);

  let known: ClientOrder | null = null;
  let firstTextAt: number | null = null;
  /** The length of the first text the page received (the first checked piece). */
  let firstPieceChars = 0;
  let finalAt: number | null = null;
  let finalStatus = '';
  const reveal = new Reveal((text) => {
    if (text.length > 0) firstTextAt ??= now();
  });
  const poller = new Poller(async (): Promise<PollResult> => {
    const answer = await runtime.call<{ ok: boolean; order: ClientOrder }>('getOrder', longPollInput(orderId, known, true), user);
    if (!answer.ok) return 'failed';
    const changed = known === null || answer.order.rev !== known.rev || answer.order.status !== known.status;
    known = answer.order;
    if (firstPieceChars === 0) firstPieceChars = answer.order.output.length;
    reveal.receive(answer.order.output);
    if (['completed', 'refunded'].includes(answer.order.status)) {
      finalAt = now();
      finalStatus = answer.order.status;
      return 'finished';
    }
    return pollResult(changed, answer.order.status, true);
  });
  poller.start();
  const deadline = now() + 60_000;
  while (finalAt === null && now() < deadline) await sleep(10);
  poller.stop();
  reveal.stop();
  if (finalAt === null) throw new Error(`order ${orderId} did not finish within 60 s`);
  if (finalStatus !== outcome) throw new Error(`order ${orderId} ended ${finalStatus}, expected ${outcome}`);
  const trace = model.traces.slice(tracesBefore).find((t) => t.contentWrites.length > 0);
  const firstContentAt = trace?.contentWrites[0];
  const lastContentAt = trace?.contentWrites.at(-1);
  const firstPieceWrittenAt = trace && firstPieceChars > 0 ? writtenBy(trace, firstPieceChars) : undefined;
  return {
    orderId,
    outcome,
    tapToSheetMs,
    firstTextOverheadMs: outcome === 'completed' && trace && firstTextAt !== null ? firstTextAt - paidAt - ((firstContentAt as number) - trace.arrivedAt) : null,
    firstTextPipelineMs: outcome === 'completed' && trace && firstTextAt !== null && firstPieceWrittenAt !== undefined ? firstTextAt - paidAt - (firstPieceWrittenAt - trace.arrivedAt) : null,
    lastTokenToCompletedMs: outcome === 'completed' && lastContentAt !== undefined ? (finalAt as number) - lastContentAt : null,
    polls: poller.calls,
  };
}

const pair = (values: number[]) => (values.length ? `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))}` : 'n/a');
const numbers = (values: (number | null)[]) => values.filter((v): v is number => v !== null);

function average(orders: OrderTotals[]): OperationCounts & { cpuMs: number; functionCalls: number; payCalls: number; openapiCalls: number } {
  const n = Math.max(orders.length, 1);
  const sum = (pick: (o: OrderTotals) => number) => orders.reduce((total, o) => total + pick(o), 0) / n;
  return {
    invocations: sum((o) => o.invocations),
    dbReads: sum((o) => o.dbReads),
    dbWrites: sum((o) => o.dbWrites),
    computeGBs: sum((o) => o.computeGBs),
    cpuMs: sum((o) => o.cpuMs),
    functionCalls: sum((o) => o.functionCalls),
    payCalls: sum((o) => o.payCalls),
    openapiCalls: sum((o) => o.openapiCalls),
  };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

export interface CloudProfileResult {
  rows: Row[];
  profileLine: string;
  operations: OrderOperations;
}

/** The local runtime as every cloud-profile measurement runs it, with the bench's model at `modelBaseURL`. */
export function cloudProfileRuntimeEnv(modelBaseURL: string): Record<string, string> {
  return {
    // Every bundle loaded one by one before the run, so that its own load time is measured alone.
    PREWARM_FUNCTIONS: '1',
    LATENCY_PROFILE: 'cloudbase',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ORDER_TTL_SECONDS: '600',
    TIMER_INTERVAL_SECONDS: '0',
    LLM_BASE_URL: modelBaseURL,
    LLM_API_KEY: 'local-bench',
    LLM_MODEL: 'local',
  };
}

/** Runs the cloud-profile measurements (about 2 minutes) and returns the bench rows. */
export async function measureCloudProfile(log: (line: string) => void, command: string): Promise<CloudProfileResult> {
  const model = await startModel();
  const runtime = await LocalRuntime.start(cloudProfileRuntimeEnv(model.baseURL));
  const rows: Row[] = [];
  let seq = 0;
  const ctx = (label: string): FlowContext => ({ runtime, model, user: `cloud-${label}-${++seq}-${Date.now().toString(36)}` });
  try {
    const profile = await runtime.get<{ description: string; bundleLoadMs: Record<string, number> }>('/api/profile');
    log(`  ${profile.description}`);

    // Cold: every modelled instance recycled (as after the keep-warm window) before each order.
    log(`  ${COLD_ORDERS} orders, each after every instance was recycled (cold)…`);
    const cold: Flow[] = [];
    for (let i = 0; i < COLD_ORDERS; i += 1) {
      await runtime.post('/api/profile/recycle', {});
      cold.push(await followOrder(ctx('cold'), 'completed'));
    }
    // A lever: generate kept warm (provisioned concurrency, or a warm-up call), everything else cold.
    log(`  ${COLD_ORDERS} cold orders with generate kept warm…`);
    const keptWarm: Flow[] = [];
    for (let i = 0; i < COLD_ORDERS; i += 1) {
      await runtime.post('/api/profile/recycle', {});
      await runtime.post('/api/profile/warm', { name: 'generate' });
      keptWarm.push(await followOrder(ctx('keepwarm'), 'completed'));
    }

    // Warm: one user after another, every function warm; the counted orders.
    await runtime.post('/api/usage', {});
    log(`  ${WARM_ORDERS} warm orders, one at a time…`);
    const warm: Flow[] = [];
    for (let i = 0; i < WARM_ORDERS; i += 1) warm.push(await followOrder(ctx('warm'), 'completed'));
    log(`  ${REFUNDED_ORDERS} refunded (every model fails) and ${CLOSED_ORDERS} closed (cancelled) orders…`);
    model.faults.llm.error = 1;
    const refunded: Flow[] = [];
    for (let i = 0; i < REFUNDED_ORDERS; i += 1) refunded.push(await followOrder(ctx('refund'), 'refunded'));
    model.faults.llm.error = 0;
    const closed: Flow[] = [];
    for (let i = 0; i < CLOSED_ORDERS; i += 1) closed.push(await followOrder(ctx('closed'), 'closed'));
    // Let refund callbacks and any straggling invocation finish before the counts are read.
    await sleep(2_000);
    const { invocations } = await runtime.get<{ invocations: InvocationUsage[] }>('/api/usage');

    // ── operations and money ──
    const { orders } = attributeToOrders(invocations);
    const byOutcome = (flows: Flow[]) => flows.map((f) => orders.get(f.orderId)).filter((o): o is OrderTotals => o !== undefined);
    const prices: PlatformPrices = readPlatformPrices(process.env);
    const amountFen = TIERS.find((t) => t.id === TIER)?.priceFen ?? 0;
    const perOrder: OrderOperations['perOrder'] = {};
    const outcomes: [OrderOutcome, Flow[], number][] = [
      ['completed', warm, amountFen],
      // Counted as charged: whether WeChat Pay hands its fee back on a refund is not assumed.
      ['refunded', refunded, amountFen],
      ['closed', closed, 0],
    ];
    for (const [outcome, flows, paidFen] of outcomes) {
      const measured = byOutcome(flows);
      if (measured.length === 0) continue;
      const avg = average(measured);
      perOrder[outcome] = { invocations: avg.invocations, dbReads: avg.dbReads, dbWrites: avg.dbWrites, computeGBs: avg.computeGBs };
      const money = platformCostFen({ invocations: avg.invocations, dbReads: avg.dbReads, dbWrites: avg.dbWrites, computeGBs: avg.computeGBs, amountFen: paidFen }, prices);
      const functions = Object.entries(
        measured.reduce<Record<string, number>>((acc, o) => {
          for (const [name, f] of Object.entries(o.byFunction)) acc[name] = (acc[name] ?? 0) + f.invocations;
          return acc;
        }, {}),
      )
        .map(([name, count]) => `${name} ${fixed(count / measured.length)}`)
        .join(', ');
      rows.push({
        measure: `per ${outcome} order (${measured.length} orders, cloud profile): invocations (${functions}) / db reads / db writes / GBs (wall × catalog memory) / CPU`,
        figure: `${fixed(avg.invocations)} / ${fixed(avg.dbReads)} / ${fixed(avg.dbWrites)} / ${avg.computeGBs.toFixed(3)} GBs / ${Math.round(avg.cpuMs)} ms`,
        target: '(information)',
        met: null,
      });
      rows.push({
        measure: `  platform money per ${outcome} order (${prices.billing}; ${outcome === 'completed' ? `${amountFen} fen paid, ` : ''}fee ${prices.paymentFeeRate * 100}%): payment fee + CloudBase (compute ${money.computeFen} + invocations ${money.invocationsFen} + reads ${money.dbReadsFen} + writes ${money.dbWritesFen})`,
        figure: `${money.totalFen} fen (CloudBase ${money.cloudFen})`,
        target: '(information)',
        met: null,
      });
    }
    const counted = new Set([...warm, ...refunded, ...closed].map((f) => f.orderId));
    const fnStats = perFunction(invocations.filter((r) => {
      const k = r.keys;
      return [k.eventOrderId, k.resultOrderId].some((id) => id !== undefined && counted.has(id)) || r.functionName === 'payCallback' || r.functionName === 'refundCallback';
    }));
    for (const [name, f] of [...fnStats].sort((a, b) => a[0].localeCompare(b[0]))) {
      const memory = isFunctionName(name) ? FUNCTIONS[name].memoryMb : 256;
      rows.push({
        measure: `  ${name}: ${f.invocations} invocations (${memory} MB) — per invocation db reads / writes / callFunction / cloud pay / open API; mean wall; mean CPU`,
        figure: `${fixed(f.dbReads / f.invocations, 2)} / ${fixed(f.dbWrites / f.invocations, 2)} / ${fixed(f.functionCalls / f.invocations, 2)} / ${fixed(f.payCalls / f.invocations, 2)} / ${fixed(f.openapiCalls / f.invocations, 2)}; ${ms(f.wallMs / f.invocations)}; ${ms(f.cpuMs / f.invocations)}`,
        target: '(information)',
        met: null,
      });
    }

    // ── latency ──
    const tap = (flows: Flow[]) => flows.map((f) => f.tapToSheetMs);
    const first = (flows: Flow[]) => numbers(flows.map((f) => f.firstTextOverheadMs));
    const last = (flows: Flow[]) => numbers(flows.map((f) => f.lastTokenToCompletedMs));
    const warmTap = tap(warm);
    const warmFirst = first(warm);
    rows.push({
      measure: `cloud profile, warm (${warm.length} orders, one at a time): tap → pay sheet (createOrder round trip incl. the client's wx.cloud.callFunction network), p50 / p95`,
      figure: pair(warmTap),
      target: `p95 < ${TARGET.tapToSheetP95} ms`,
      met: percentile(warmTap, 95) < TARGET.tapToSheetP95,
    });
    rows.push({
      measure: `  warm: pay sheet success → "confirming" shown (at once, on the phone) → first text on screen, minus the model's first-token time, p50 / p95`,
      figure: pair(warmFirst),
      target: `p50 < ${TARGET.firstTextP50} ms, p95 < ${TARGET.firstTextP95} ms`,
      met: percentile(warmFirst, 50) < TARGET.firstTextP50 && percentile(warmFirst, 95) < TARGET.firstTextP95,
    });
    rows.push({
      measure: '  warm: the same, minus all the model\'s time to write the text first shown (the first checked piece, which content security waits for): the pipeline alone, p50 / p95',
      figure: pair(numbers(warm.map((f) => f.firstTextPipelineMs))),
      target: '(information)',
      met: null,
    });
    rows.push({ measure: '  warm: the model\'s last token → "completed" on screen, p50 / p95', figure: pair(last(warm)), target: '(information)', met: null });
    rows.push({ measure: `  warm: getOrder calls per order (the page's Poller; ${MODEL.answerTokens} tokens, ${MODEL.firstTokenMs} ms to the first)`, figure: fixed(warm.reduce((s, f) => s + f.polls, 0) / warm.length), target: '(information)', met: null });
    rows.push({ measure: `cloud profile, cold (${cold.length} orders, every instance recycled before each): tap → pay sheet, p50 / p95`, figure: pair(tap(cold)), target: '(cold: information)', met: null });
    rows.push({ measure: '  cold: paid → first text overhead, p50 / p95', figure: pair(first(cold)), target: '(cold: information)', met: null });
    rows.push({ measure: '  cold: last token → "completed" on screen, p50 / p95', figure: pair(last(cold)), target: '(cold: information)', met: null });
    rows.push({ measure: `  lever, generate kept warm (${keptWarm.length} orders, everything else cold): paid → first text overhead, p50 / p95`, figure: pair(first(keptWarm)), target: '(lever)', met: null });
    rows.push({ measure: '  lever, same: tap → pay sheet, p50 / p95 (createOrder still cold)', figure: pair(tap(keptWarm)), target: '(lever)', met: null });
    const loads = Object.entries(profile.bundleLoadMs).sort((a, b) => b[1] - a[1]);
    rows.push({
      measure: `  cold start's own part: each bundle's measured load time in a fresh realm (what bundle size and lazy imports reduce): ${loads.map(([name, t]) => `${name} ${Math.round(t)}`).join(', ')} ms`,
      figure: `largest ${ms(loads[0]?.[1] ?? NaN)}`,
      target: '(information)',
      met: null,
    });

    const operations: OrderOperations = { measuredAt: new Date().toISOString(), source: `${command}: cloud profile (LATENCY_PROFILE=cloudbase), ${warm.length} completed, ${refunded.length} refunded, ${closed.length} closed orders`, perOrder };
    writeOrderOperations(operations);
    return { rows, profileLine: profile.description, operations };
  } finally {
    await runtime.stop();
    await new Promise<void>((resolve) => model.server.close(() => resolve()));
  }
}
