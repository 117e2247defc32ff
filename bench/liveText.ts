import type { InvocationUsage } from '../local/functions/usage';
import { defaultFaults } from '../local/pay/faults';
import { attributeToOrders, type OrderTotals } from '../local/profile/attribution';
import type { CloudProfile } from '../local/profile/cloudProfile';
import type { ClientOrder } from '../miniprogram/services/types';
import { LocalRuntime } from '../test/support/runtime';
import { cloudProfileRuntimeEnv } from './cloudProfile';
import { distribution, ms, percentile, type Distribution, type Row } from './figures';
import { characterTrails, largestGap, type CharacterTrail } from './liveFigures';
import { followLikeThePage, type CallFunction, type FollowRecord } from './pageFollower';
import { startTracedModelServer, writtenBy, type ModelRequestTrace } from './tracedModelServer';
import { startWechatApiDelay } from './wechatApiDelay';
import { installBenchWx, loadStreamModule, type BenchWx, type StreamModule } from './wxClient';

/**
 * Live text, measured as a user lives it (`npm run bench`; docs/VERIFICATION.md, "Live text"): a
 * runtime process selling through virtual payment (PAY_MODE=virtual, the default) in the cloud
 * latency profile (LATENCY_PROFILE=cloudbase), with the model on a traced loopback server in this
 * process, so that when it wrote each character is known. The page's side is the page's own code
 * (bench/pageFollower.ts, bench/wxClient.ts): the live stream read with wx.request enableChunked in
 * ArrayBuffer pieces cut anywhere, or the long-poll, and the smoothing that puts text on screen.
 *
 * - tap → first text of a token-paid answer (createOrder with payWith tokens: no sheet), beside a
 *   direct purchase (createOrder with payWith purchase, the sheet paid, the delivery push), warm,
 *   one at a time, each minus the model's own first-token delay;
 * - one 20-second answer at 10 tokens/s followed through the stream, and the same through the
 *   long-poll (the fallback): how far the screen trails the model, character by character, the
 *   largest gap between visible updates, and what the answer cost (invocations, database reads).
 */

const now = () => performance.now();

/** The model for tap → first text: as in the cloud-profile section (bench/cloudProfile.ts). */
const SHORT_MODEL = { firstTokenMs: 500, tokensPerSecond: 30, answerTokens: 45 };
/** The 20-second answer: 1 s to the first token, then 190 tokens at 10 a second. */
const LONG_MODEL = { firstTokenMs: 1_000, tokensPerSecond: 10, answerTokens: 190 };
const TOKEN_RUNS = 20;
const PURCHASE_RUNS = 12;
const TIER = 'quick';
/** English prompts: the local model then writes about 5 characters per token (~50 a second at 10 tokens/s). */
const SHORT_PROMPT = 'Explain how green tea is made';
const LONG_PROMPT = 'Explain how tea is grown, in detail';

/** Targets (issue 20, "Figures"). */
const TARGET = { trailP95Ms: 1_000, gapMs: 1_500, firstTextP50Ms: 1_500, firstTextP95Ms: 2_500 };
/** The long-poll's invocations per 20-second answer, as targeted before the stream existed. */
const LONG_POLL_CALLS_TARGET = 10;

interface TapRun {
  orderId: string;
  /** Tap → first visible text, minus the model's own first-token delay (and, for a purchase, the time on the sheet). */
  firstTextMs: number;
  /** The same, minus all the model's time to write the first text shown (the first checked piece): the pipeline alone. */
  pipelineMs: number;
  /** The createOrder round trip (tap → the answer in hand). */
  createMs: number;
  /** Characters in the first text shown (content security's first piece). */
  firstPieceChars: number;
  /** The model's time to write that piece, after its first token. */
  pieceWritingMs: number;
  /** Tap → the model has the request (createOrder, the payment, generate dispatched and started), less the time on a sheet. */
  toModelMs: number;
  /** The model wrote the last character of the first piece → it is on screen (its check, the store write, the read, the network). */
  toScreenMs: number;
}

interface LongRun {
  follow: FollowRecord;
  trace: ModelRequestTrace;
  trails: CharacterTrail[];
  firstPieceChars: number;
  largestGapMs: number;
}

type Json = Record<string, unknown>;

class LiveTextBench {
  private seq = 0;

  constructor(
    readonly runtime: LocalRuntime,
    readonly model: Awaited<ReturnType<typeof startTracedModelServer>>,
    readonly stream: StreamModule,
    private readonly log: (line: string) => void,
  ) {}

  caller(user: string): CallFunction {
    return <T>(name: string, data: object) => this.runtime.call<T>(name, data, user);
  }

  newUser(label: string): string {
    this.seq += 1;
    return `live-${label}-${this.seq}-${Date.now().toString(36)}`;
  }

  /** A user logged in (wx.login → code2Session) with at least `tokens` tokens bought through the top-up sheet. */
  async userWithTokens(label: string, tokens: number): Promise<string> {
    const user = this.newUser(label);
    const call = this.caller(user);
    const { json } = await this.runtime.post<{ code: string }>('/api/wx/login', {}, { 'X-WX-OPENID': user });
    const first = await call<{ ok: boolean; balance: number }>('getBalance', { loginCode: json.code });
    if (!first.ok) throw new Error('getBalance refused the login code');
    let balance = first.balance;
    let asked = balance;
    while (asked < tokens) {
      const created = await call<{ ok: boolean; topUp: { outTradeNo: string }; error?: { code: string } }>('createTopUp', { packId: 'p120' });
      if (!created.ok) throw new Error(`createTopUp failed: ${created.error?.code}`);
      const paid = await this.runtime.pay(created.topUp.outTradeNo);
      if (!paid.ok) throw new Error(`the top-up sheet failed: ${paid.errMsg}`);
      asked += 120;
    }
    const deadline = Date.now() + 30_000;
    while (balance < tokens) {
      if (Date.now() > deadline) throw new Error(`${user} has ${balance} tokens, not ${tokens}, 30 s after topping up`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      balance = (await call<{ ok: boolean; balance: number }>('getBalance', {})).balance;
    }
    return user;
  }

  /** The model request made after `from` that wrote text (runs are one at a time, so it is this order's). */
  traceAfter(from: number, orderId: string): ModelRequestTrace {
    const trace = this.model.traces.slice(from).find((t) => t.contentWrites.length > 0);
    if (!trace) throw new Error(`no model request wrote text for order ${orderId}`);
    return trace;
  }

  async follow(user: string, orderId: string, order: ClientOrder | null, channel: 'stream' | 'long-poll'): Promise<FollowRecord> {
    const follow = await followLikeThePage({ orderId, order, justPaid: true, stream: channel === 'stream' ? this.stream : null, call: this.caller(user) });
    if (follow.order.status !== 'completed') throw new Error(`order ${orderId} ended ${follow.order.status}`);
    if (channel === 'stream' && follow.streamsOpened === 0) throw new Error(`order ${orderId} was never streamed: createOrder/getOrder gave no streamUrl`);
    return follow;
  }

  /** Tap on "ask" (paid with tokens) → the first text on screen, then the answer followed to its end. */
  async tokenTurn(user: string): Promise<TapRun> {
    const traces = this.model.traces.length;
    const tapAt = now();
    const created = await this.caller(user)<{ ok: boolean; order: ClientOrder; error?: { code: string } }>('createOrder', { tier: TIER, prompt: SHORT_PROMPT, payWith: 'tokens' });
    const createMs = now() - tapAt;
    if (!created.ok) throw new Error(`createOrder (tokens) failed: ${created.error?.code}`);
    // The conversation page follows the turn from createOrder's answer (paid: it streams at once).
    const follow = await this.follow(user, created.order.orderId, created.order, 'stream');
    return this.tapRun(follow, this.traceAfter(traces, created.order.orderId), tapAt, createMs, 0);
  }

  /** Tap on "buy this answer" → createOrder → the sheet paid → the order page → the first text on screen. */
  async purchase(user: string): Promise<TapRun> {
    const traces = this.model.traces.length;
    const tapAt = now();
    const created = await this.caller(user)<{ ok: boolean; order: ClientOrder; error?: { code: string } }>('createOrder', { tier: TIER, prompt: SHORT_PROMPT, payWith: 'purchase' });
    const createMs = now() - tapAt;
    if (!created.ok) throw new Error(`createOrder (purchase) failed: ${created.error?.code}`);
    // The user's time on the sheet is theirs: the sheet's own call is taken out of the figure.
    const sheetAt = now();
    const paid = await this.runtime.pay(created.order.outTradeNo);
    const sheetMs = now() - sheetAt;
    if (!paid.ok) throw new Error(`the purchase sheet failed: ${paid.errMsg}`);
    // The home page opens the order page with paid=1; the page long-polls until the order is paid, then streams.
    const follow = await this.follow(user, created.order.orderId, null, 'stream');
    return this.tapRun(follow, this.traceAfter(traces, created.order.orderId), tapAt, createMs, sheetMs);
  }

  private tapRun(follow: FollowRecord, trace: ModelRequestTrace, tapAt: number, createMs: number, sheetMs: number): TapRun {
    const first = follow.visible[0];
    const piece = follow.arrivals[0];
    if (!first || !piece) throw new Error(`order ${follow.order.orderId} showed no text`);
    const firstTokenMs = (trace.contentWrites[0] as number) - trace.arrivedAt;
    const pieceWrittenAt = writtenBy(trace, piece.length);
    if (pieceWrittenAt === undefined) throw new Error(`order ${follow.order.orderId}: the page got ${piece.length} characters the model never wrote`);
    return {
      orderId: follow.order.orderId,
      firstTextMs: first.at - tapAt - sheetMs - firstTokenMs,
      pipelineMs: first.at - tapAt - sheetMs - (pieceWrittenAt - trace.arrivedAt),
      createMs,
      firstPieceChars: piece.length,
      pieceWritingMs: pieceWrittenAt - (trace.contentWrites[0] as number),
      toModelMs: trace.arrivedAt - tapAt - sheetMs,
      toScreenMs: first.at - pieceWrittenAt,
    };
  }

  /** One 20-second answer, paid with tokens, followed through `channel`. */
  async longAnswer(user: string, channel: 'stream' | 'long-poll'): Promise<LongRun> {
    const traces = this.model.traces.length;
    const created = await this.caller(user)<{ ok: boolean; order: ClientOrder; error?: { code: string } }>('createOrder', { tier: TIER, prompt: LONG_PROMPT, payWith: 'tokens' });
    if (!created.ok) throw new Error(`createOrder (tokens) failed: ${created.error?.code}`);
    this.log(`    ${channel}: order ${created.order.orderId}…`);
    const follow = await this.follow(user, created.order.orderId, created.order, channel);
    const trace = this.traceAfter(traces, created.order.orderId);
    if (trace.text !== follow.order.output) {
      throw new Error(`order ${follow.order.orderId}: the answer on the order is not the text the model wrote (${follow.order.output.length} and ${trace.text.length} characters); the trail cannot be matched character by character`);
    }
    const trails = characterTrails((chars) => writtenBy(trace, chars), follow.arrivals, follow.visible, follow.order.output.length);
    const fromFirst = follow.visible.filter((mark) => mark.length > 0);
    return { follow, trace, trails, firstPieceChars: follow.arrivals[0]?.length ?? 0, largestGapMs: largestGap(fromFirst) };
  }
}

const seconds = (value: number) => (Number.isFinite(value) ? `${(value / 1000).toFixed(2)} s` : 'n/a');
const triple = (d: Distribution) => `${seconds(d.p50)} / ${seconds(d.p95)} / ${seconds(d.max)}`;
const pair = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))}`;

function trailRows(label: string, run: LongRun): Row[] {
  const first = run.trails.filter((t) => t.position <= run.firstPieceChars);
  const rest = run.trails.filter((t) => t.position > run.firstPieceChars);
  const trail = distribution(rest.map((t) => t.trailMs));
  const part = (pick: (t: CharacterTrail) => number) => seconds(percentile(rest.map(pick), 95));
  const pieces = run.follow.arrivals.map((a) => a.length).join(', ');
  return [
    {
      measure: `${label}: text on screen trails the text the model has written, per character after content security's first piece (${rest.length} characters; p50 / p95 / max)`,
      figure: triple(trail),
      target: `p95 ≤ ${TARGET.trailP95Ms / 1000} s`,
      met: trail.p95 <= TARGET.trailP95Ms,
    },
    {
      measure: `  ${label}: where it goes, p95 of each part: waiting for the rest of the text that reached the page with it (content security checks whole pieces; the writer batches) / that text written → at the page (its check, the store write, the channel's read, the network) / at the page → visible (smoothing)`,
      figure: `${part((t) => t.heldMs)} / ${part((t) => t.transitMs)} / ${part((t) => t.smoothingMs)}`,
      target: '(cause)',
      met: null,
    },
    {
      measure: `  ${label}: content security's first piece (${run.firstPieceChars} characters): trail p50 / p95 / max`,
      figure: triple(distribution(first.map((t) => t.trailMs))),
      target: '(reported apart)',
      met: null,
    },
    {
      measure: `  ${label}: the answer reached the page in ${run.follow.arrivals.length} pieces, ending at characters ${pieces}`,
      figure: `${run.follow.order.output.length} characters`,
      target: '(information)',
      met: null,
    },
  ];
}

function usageOf(orders: Map<string, OrderTotals>, orderId: string): string {
  const totals = orders.get(orderId);
  if (!totals) return 'n/a';
  const functions = Object.entries(totals.byFunction)
    .sort((a, b) => b[1].invocations - a[1].invocations)
    .map(([name, f]) => `${name} ${f.invocations}`)
    .join(', ');
  return `${totals.invocations} invocations (${functions}) / ${totals.dbReads} db reads / ${totals.dbWrites} db writes`;
}

/**
 * Content security's piece sizes (core/config/env.ts) may be tried as a lever: the developer's own
 * `CONTENT_CHECK_*` settings, when set, reach the section's runtime; the rows say which were used.
 */
function contentCheckSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('CONTENT_CHECK_') && typeof entry[1] === 'string'));
}

export interface LiveTextResult {
  rows: Row[];
  profileLine: string;
}

/** Runs the live-text measurements (about 3 minutes) and returns the bench rows. */
export async function measureLiveText(log: (line: string) => void): Promise<LiveTextResult> {
  const faults = defaultFaults();
  faults.llm = { ...faults.llm, ...SHORT_MODEL, error: 0, timeout: 0 };
  const model = await startTracedModelServer(faults);
  const relay = await startWechatApiDelay();
  let runtime: LocalRuntime | null = null;
  let wx: BenchWx | null = null;
  try {
    const levers = contentCheckSettings(process.env);
    runtime = await LocalRuntime.start({ ...cloudProfileRuntimeEnv(model.baseURL), PAY_MODE: 'virtual', WX_API_BASE_URL: relay.url, ...levers });
    const { profile, description } = await runtime.get<{ profile: CloudProfile | null; description: string }>('/api/profile');
    relay.configure(runtime.url, profile?.cloudCall ?? null, profile?.seed ?? 14);
    wx = installBenchWx({ runtimeUrl: runtime.url, clientNetwork: profile?.client ?? null, seed: profile?.seed ?? 14 });
    const bench = new LiveTextBench(runtime, model, loadStreamModule(), log);
    const rows: Row[] = [];
    log(`  ${description}`);
    log("  users log in and top up (wx.login, createTopUp, the sheet)…");
    const asker = await bench.userWithTokens('tokens', (TOKEN_RUNS + 2) * 5);
    const reader = await bench.userWithTokens('long', 2 * 5);
    const buyer = bench.newUser('purchase');
    const { json: login } = await runtime.post<{ code: string }>('/api/wx/login', {}, { 'X-WX-OPENID': buyer });
    await bench.caller(buyer)<Json>('getBalance', { loginCode: login.code });

    // Warm: every instance the runs use has served once (createOrder both ways, generate, getOrder,
    // xpayNotify, streamOrder's framework), so no run below starts one cold.
    log('  warm-up: a token-paid answer and a purchase…');
    await bench.tokenTurn(asker);
    await bench.purchase(buyer);

    log(`  ${TOKEN_RUNS} token-paid answers, one at a time…`);
    await runtime.post('/api/usage', {});
    const relayedBefore = relay.calls;
    const tokenRuns: TapRun[] = [];
    for (let i = 0; i < TOKEN_RUNS; i += 1) tokenRuns.push(await bench.tokenTurn(asker));
    const wechatCallsPerTurn = (relay.calls - relayedBefore) / TOKEN_RUNS;
    const tokenOrders = new Set(tokenRuns.map((r) => r.orderId));
    const creates = (await runtime.get<{ invocations: InvocationUsage[] }>('/api/usage')).invocations.filter(
      (r) => r.functionName === 'createOrder' && r.keys.resultOrderId !== undefined && tokenOrders.has(r.keys.resultOrderId),
    );
    log(`  ${PURCHASE_RUNS} direct purchases, one at a time…`);
    const purchaseRuns: TapRun[] = [];
    for (let i = 0; i < PURCHASE_RUNS; i += 1) purchaseRuns.push(await bench.purchase(buyer));

    log('  a 20-second answer at 10 tokens/s through the stream, then the same through the long-poll (about 50 s)…');
    Object.assign(faults.llm, LONG_MODEL);
    await runtime.post('/api/usage', {});
    const streamed = await bench.longAnswer(reader, 'stream');
    const polled = await bench.longAnswer(reader, 'long-poll');
    Object.assign(faults.llm, SHORT_MODEL);
    // Let the last invocations (a long-poll that was waiting, the stream's end) be recorded.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { invocations } = await runtime.get<{ invocations: InvocationUsage[] }>('/api/usage');
    const { orders } = attributeToOrders(invocations);

    // ── rows ──
    const first = tokenRuns.map((r) => r.firstTextMs);
    const p50 = percentile(first, 50);
    const p95 = percentile(first, 95);
    const piece = tokenRuns[0] as TapRun;
    rows.push({
      measure: `cloud profile, virtual payment, warm (${tokenRuns.length} token-paid answers, one at a time; model ${SHORT_MODEL.firstTokenMs} ms to its first token, then ${SHORT_MODEL.tokensPerSecond} tokens/s): tap → first text on screen (createOrder payWith tokens, then the live stream), excluding the model's first token, p50 / p95`,
      figure: pair(first),
      target: `p50 < ${TARGET.firstTextP50Ms / 1000} s, p95 < ${TARGET.firstTextP95Ms / 1000} s`,
      met: p50 < TARGET.firstTextP50Ms && p95 < TARGET.firstTextP95Ms,
    });
    rows.push({
      measure: `  token-paid: of which the model writing content security's first piece (${piece.firstPieceChars} characters) after its first token, p50 / p95`,
      figure: pair(tokenRuns.map((r) => r.pieceWritingMs)),
      target: '(model)',
      met: null,
    });
    rows.push({ measure: '  token-paid: the pipeline alone (minus all the model\'s time to write the first text shown), p50 / p95', figure: pair(tokenRuns.map((r) => r.pipelineMs)), target: '(information)', met: null });
    rows.push({ measure: '  token-paid: the createOrder round trip (balance, spend with currency_pay, the order written, generate dispatched), p50 / p95', figure: pair(tokenRuns.map((r) => r.createMs)), target: '(information)', met: null });
    const mean = (pick: (r: InvocationUsage) => number) => creates.reduce((sum, r) => sum + pick(r), 0) / Math.max(creates.length, 1);
    rows.push({
      measure: `  token-paid createOrder, per invocation (${creates.length}): db reads / db writes / cloud calls (content check) / callFunction (generate); WeChat API calls per answer (balance, spend); its own wall time`,
      figure: `${mean((r) => r.dbReads).toFixed(1)} / ${mean((r) => r.dbWrites).toFixed(1)} / ${mean((r) => r.openapiCalls).toFixed(1)} / ${mean((r) => r.functionCalls).toFixed(1)} / ${wechatCallsPerTurn.toFixed(1)}; ${ms(mean((r) => r.wallMs))}`,
      target: '(cause)',
      met: null,
    });
    rows.push({
      measure: "  token-paid, where the time goes (p50 of each part): tap → the model has the request / the model's first token (taken out) / the model writing the first piece / that piece written → on screen (its check, the store write, the stream's read, the network)",
      figure: [tokenRuns.map((r) => r.toModelMs), tokenRuns.map(() => SHORT_MODEL.firstTokenMs), tokenRuns.map((r) => r.pieceWritingMs), tokenRuns.map((r) => r.toScreenMs)].map((values) => ms(percentile(values, 50))).join(' / '),
      target: '(cause)',
      met: null,
    });
    rows.push({
      measure: `  beside it, a direct purchase (${purchaseRuns.length}, one at a time): tap → first text on screen (createOrder payWith purchase, the sheet paid, the delivery push and query_order, the order page's long-poll, then the stream), excluding the model's first token and the time on the sheet, p50 / p95`,
      figure: pair(purchaseRuns.map((r) => r.firstTextMs)),
      target: '(comparison)',
      met: null,
    });
    rows.push({ measure: '  direct purchase: the pipeline alone, p50 / p95', figure: pair(purchaseRuns.map((r) => r.pipelineMs)), target: '(comparison)', met: null });
    rows.push({
      measure: '  direct purchase, where the time goes (p50): tap → the model has the request, less the time on the sheet (createOrder, the push, query_order, generate) / writing the first piece / that piece written → on screen (the order page\'s long-poll, then the stream)',
      figure: [purchaseRuns.map((r) => r.toModelMs), purchaseRuns.map((r) => r.pieceWritingMs), purchaseRuns.map((r) => r.toScreenMs)].map((values) => ms(percentile(values, 50))).join(' / '),
      target: '(comparison)',
      met: null,
    });

    const settings = Object.keys(levers).length > 0 ? Object.entries(levers).map(([key, value]) => `${key}=${value}`).join(' ') : 'content security\'s default pieces';
    const label = (channel: string) => `cloud profile, a 20-second answer at ${LONG_MODEL.tokensPerSecond} tokens/s (${streamed.follow.order.output.length} characters; ${settings}), ${channel}`;
    rows.push(...trailRows(label('live stream'), streamed));
    rows.push(...trailRows(label('long-poll (the fallback)'), polled));
    for (const [run, channel] of [
      [streamed, 'live stream'],
      [polled, 'long-poll (the fallback)'],
    ] as const) {
      rows.push({
        measure: `largest gap between visible updates at ${LONG_MODEL.tokensPerSecond} tokens/s, ${channel} (${run.follow.visible.length} visible updates, first text to the whole answer)`,
        figure: seconds(run.largestGapMs),
        target: `≤ ${TARGET.gapMs / 1000} s`,
        met: run.largestGapMs <= TARGET.gapMs,
      });
    }
    rows.push({ measure: 'function invocations and database reads per answer (that answer, /api/usage), live stream', figure: usageOf(orders, streamed.follow.order.orderId), target: '(beside the long-poll)', met: null });
    rows.push({ measure: '  same answer parameters, long-poll (today\'s path, the fallback)', figure: usageOf(orders, polled.follow.order.orderId), target: '(comparison)', met: null });
    rows.push({
      measure: '  long-poll: getOrder calls the page made (services/poller.ts, waitMs 3000, settleMs 3000)',
      figure: String(polled.follow.getOrderCalls),
      target: `≤ ${LONG_POLL_CALLS_TARGET}`,
      met: polled.follow.getOrderCalls <= LONG_POLL_CALLS_TARGET,
    });
    rows.push({ measure: `  the phone's connections to streamOrder over the whole run (bench wx.request; WeChat API calls relayed with the profile's delay: ${relay.calls})`, figure: String(wx.connections), target: '(information)', met: null });
    return { rows, profileLine: description };
  } finally {
    wx?.uninstall();
    await runtime?.stop();
    await relay.close();
    model.server.closeAllConnections();
    await new Promise<void>((resolve) => model.server.close(() => resolve()));
  }
}
