import OpenAI from 'openai';
import { PROVIDERS } from '../core/config/providers';
import { TIERS, type TierConfig } from '../core/config/tiers';
import { buildMessages } from '../core/generation/messages';
import { DEFAULT_LEASE_MS, heartbeatMs } from '../core/generation/lease';
import { FLUSH_CHARS, FLUSH_INTERVAL_MS, OutputWriter } from '../core/generation/outputWriter';
import type { ChatMessage } from '../core/models/attempt';
import { resolveEndpoint } from '../core/models/endpoints';
import { chooseChain } from '../core/models/rollout';
import { routeCompletion, type ProviderHealth } from '../core/models/router';
import type { OrderDocument } from '../core/orders/order';
import { defaultFaults } from '../local/pay/faults';
import { chunkDelays, distribution, fineMs, ms, pairedDifferences, storeDelays, type Distribution, type Row, type TextMark } from './figures';
import { startTracedModelServer } from './tracedModelServer';

/**
 * Gateway overhead (issue: "our own overhead as an LLM gateway, the figure LiteLLM and Portkey
 * publish"), measured in one process against the real local model server on loopback, through the
 * real `openai` client, with the database excluded:
 *
 * (a) dispatch → provider: from the moment `generate` would be entered for a paid order to the
 *     moment the provider's HTTP server has the request (its `request` event: the request head has
 *     arrived and been parsed). Our path runs generate's own sequence: claim and read the order
 *     (instant stand-ins), choose the chain (rollout), resolve the endpoint, build the messages,
 *     start the output writer and its heartbeat, then routeCompletion → runAttempt → openai client.
 *     The direct path is `client.chat.completions.create` with the same request.
 * (b) per streamed chunk: from the provider writing the chunk (`res.write` on its socket) to the
 *     moment our router hands the text that contains it to the output writer
 *     (`OutputWriter.update` entered) — from there on it is the writer's, which batches store
 *     writes by design; that batching delay is reported on its own. The direct path's chunk is
 *     "had" when the `openai` client's stream yields it.
 *
 * Added latency is the paired difference ours − direct, pair by pair (and chunk k by chunk k), the
 * two paths run back to back in alternating order. Only the store is replaced (by an instant
 * in-memory stand-in, this benchmark only): everything else is the product's code.
 */

const now = () => performance.now();

/** The published figures we compare with (docs/VERIFICATION.md, "Gateway overhead", cites them). */
export const PUBLISHED = {
  litellm: { p50: 12, p95: 29, p99: 43, note: 'LiteLLM proxy, 2 instances, ~1,035 RPS (docs.litellm.ai/docs/benchmarks)' },
  portkey: { p50: 2.5, note: 'Portkey OSS gateway on localhost: README claims "<1ms"; an independent localhost run measured 2.4–2.7 ms (github.com/cuihuan/llm-gateway-bench, data/overhead.json)' },
};

export const TARGET = { p50: 2, p99: 10 };

/**
 * The order store replaced by an instant in-memory stand-in (the database is excluded from this
 * measure): the claim, the lease renewals that carry output and the completion succeed at once, and
 * every output write is recorded.
 */
class InstantOrder {
  readonly writes: TextMark[] = [];

  constructor(readonly order: OrderDocument) {}

  /** What `claimGeneration` hands `generate`: the order, now held under this attempt's lease. */
  async claim(leaseId: string): Promise<OrderDocument> {
    return { ...this.order, status: 'generating', leaseId };
  }

  /** What `renewLease` does for the output writer, minus the store. */
  async renew(output?: string): Promise<boolean> {
    if (typeof output === 'string') this.writes.push({ at: now(), length: output.length });
    return true;
  }

  async complete(output: string): Promise<void> {
    this.writes.push({ at: now(), length: output.length });
  }
}

const healthy: ProviderHealth = { isOpen: async () => false, record: async () => undefined };

interface OurRun {
  dispatchAt: number;
  /** When runAttempt asked the `openai` client to send the request. */
  requestStartAt: number;
  handed: TextMark[];
  /** Per text chunk: from the `openai` stream yielding it to our router handing it on. */
  ownChunkMs: number[];
  writes: TextMark[];
}

/** generate's sequence for one paid order (core/functions/generate.ts), store excluded. */
async function throughOurCode(tier: TierConfig, order: OrderDocument, baseURL: string): Promise<OurRun> {
  const dispatchAt = now();
  const orders = new InstantOrder(order);
  const stored = await orders.claim('bench-lease');
  const chain = chooseChain(tier, stored.userHash);
  const heartbeatEveryMs = heartbeatMs(DEFAULT_LEASE_MS);
  const writer = new OutputWriter((output) => orders.renew(output), Date.now, heartbeatEveryMs);
  const heartbeat = setInterval(() => writer.heartbeat(), heartbeatEveryMs);
  const handed: TextMark[] = [];
  const ownChunkMs: number[] = [];
  let requestStartAt = NaN;
  let chunkAt = NaN;
  let route;
  try {
    route = await routeCompletion(
      chain.models,
      // No provider key is read from this machine's environment: only the local server is called.
      (ref) => resolveEndpoint(ref, PROVIDERS, { llm: { localURL: baseURL } }, {}),
      buildMessages(tier, stored.prompt),
      tier,
      {
        onText: (text) => {
          const at = now();
          handed.push({ at, length: text.length });
          ownChunkMs.push(at - chunkAt);
          writer.update(text);
        },
        onRestart: () => writer.reset(),
        onRequestStart: () => {
          requestStartAt = now();
        },
        onChunk: () => {
          chunkAt = now();
        },
      },
      healthy,
    );
  } finally {
    clearInterval(heartbeat);
    await writer.close();
  }
  if (!route.ok) throw new Error(`gateway bench: the local model failed: ${route.reason}`);
  await orders.complete(route.text);
  return { dispatchAt, requestStartAt, handed, ownChunkMs, writes: orders.writes };
}

interface DirectRun {
  startedAt: number;
  seenAt: number[];
}

/** The same request straight through the `openai` client: the baseline. */
async function direct(client: OpenAI, model: string, messages: ChatMessage[], maxTokens: number): Promise<DirectRun> {
  const startedAt = now();
  const stream = await client.chat.completions.create({ model, messages, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } });
  const seenAt: number[] = [];
  for await (const chunk of stream) {
    if (chunk.choices?.[0]?.delta?.content) seenAt.push(now());
  }
  return { startedAt, seenAt };
}

export interface GatewayOverhead {
  pairs: number;
  chunksPerAnswer: number;
  /** added: paired ours − direct; own: time inside our code, timed by its probes. */
  dispatch: { ours: Distribution; direct: Distribution; added: Distribution; own: Distribution };
  chunk: { ours: Distribution; direct: Distribution; added: Distribution; own: Distribution };
  batching: { delay: Distribution; tokensPerSecond: number; answers: number };
}

function benchOrder(tier: TierConfig): OrderDocument {
  // Only the fields generate reads; the rest of an order is never looked at here.
  return { _id: 'bench-order', tier: tier.id, userHash: 'bench-user', prompt: 'Write a haiku about tea', amountFen: tier.priceFen } as unknown as OrderDocument;
}

export async function measureGatewayOverhead(options: { pairs?: number; warmup?: number; log?: (line: string) => void } = {}): Promise<GatewayOverhead> {
  const pairs = options.pairs ?? 400;
  const warmup = options.warmup ?? 40;
  const log = options.log ?? (() => undefined);
  const tier = TIERS.find((t) => t.id === 'quick') ?? (TIERS[0] as TierConfig);
  const order = benchOrder(tier);
  const faults = defaultFaults();
  // A fast stream (a chunk every 2 ms) so that many chunks are measured in little time.
  Object.assign(faults.llm, { firstTokenMs: 0, tokensPerSecond: 500, answerTokens: 24, error: 0, timeout: 0, midStreamError: 0, truncate: 0 });
  const provider = await startTracedModelServer(faults);
  try {
    const endpoint = resolveEndpoint(tier.models[0]!, PROVIDERS, { llm: { localURL: provider.baseURL } }, {});
    if (!endpoint) throw new Error('gateway bench: the tier has no model to call');
    const client = new OpenAI({ baseURL: provider.baseURL, apiKey: 'local', maxRetries: 0 });
    const messages = buildMessages(tier, order.prompt);

    const dispatch = { ours: [] as number[], direct: [] as number[], own: [] as number[] };
    const chunk = { ours: [] as number[], direct: [] as number[], added: [] as number[], own: [] as number[] };
    let chunksPerAnswer = 0;
    const runOurs = async () => {
      const before = provider.traces.length;
      const run = await throughOurCode(tier, order, provider.baseURL);
      const trace = provider.traces[before];
      if (!trace || provider.traces.length !== before + 1) throw new Error('gateway bench: expected exactly one provider request per run');
      return {
        toProvider: trace.arrivedAt - run.dispatchAt,
        chunks: chunkDelays(trace.contentWrites, run.handed.map((m) => m.at)),
        ownDispatch: run.requestStartAt - run.dispatchAt,
        ownChunks: run.ownChunkMs,
      };
    };
    const runDirect = async () => {
      const before = provider.traces.length;
      const run = await direct(client, endpoint.model, messages, tier.maxTokens);
      const trace = provider.traces[before];
      if (!trace || provider.traces.length !== before + 1) throw new Error('gateway bench: expected exactly one provider request per run');
      return { toProvider: trace.arrivedAt - run.startedAt, chunks: chunkDelays(trace.contentWrites, run.seenAt) };
    };

    log(`  gateway overhead: ${warmup} warm-up pairs, then ${pairs} pairs (our code / openai client direct)…`);
    for (let i = 0; i < warmup + pairs; i += 1) {
      // Alternate which path goes first so that neither always follows the other.
      let ours;
      let plain;
      if (i % 2 === 0) {
        ours = await runOurs();
        plain = await runDirect();
      } else {
        plain = await runDirect();
        ours = await runOurs();
      }
      if (ours.chunks.length !== plain.chunks.length) throw new Error(`gateway bench: chunk counts differ (${ours.chunks.length} vs ${plain.chunks.length})`);
      if (i < warmup) continue;
      chunksPerAnswer = ours.chunks.length;
      dispatch.ours.push(ours.toProvider);
      dispatch.direct.push(plain.toProvider);
      dispatch.own.push(ours.ownDispatch);
      chunk.own.push(...ours.ownChunks);
      chunk.ours.push(...ours.chunks);
      chunk.direct.push(...plain.chunks);
      chunk.added.push(...pairedDifferences(ours.chunks, plain.chunks));
    }

    // The output writer's batching, at a provider speed like the local default (40 tokens/s):
    // long enough answers that the writer's interval, not the end of the answer, decides.
    const tokensPerSecond = 40;
    const answers = 8;
    Object.assign(faults.llm, { tokensPerSecond, answerTokens: 60 });
    log(`  output batching: ${answers} answers at ${tokensPerSecond} tokens/s…`);
    const batchingDelays: number[] = [];
    for (let i = 0; i < answers; i += 1) {
      const run = await throughOurCode(tier, order, provider.baseURL);
      batchingDelays.push(...storeDelays(run.handed, run.writes));
    }

    return {
      pairs,
      chunksPerAnswer,
      dispatch: {
        ours: distribution(dispatch.ours),
        direct: distribution(dispatch.direct),
        added: distribution(pairedDifferences(dispatch.ours, dispatch.direct)),
        own: distribution(dispatch.own),
      },
      chunk: { ours: distribution(chunk.ours), direct: distribution(chunk.direct), added: distribution(chunk.added), own: distribution(chunk.own) },
      batching: { delay: distribution(batchingDelays), tokensPerSecond, answers },
    };
  } finally {
    const closed = new Promise<void>((resolve) => provider.server.close(() => resolve()));
    provider.server.closeAllConnections();
    await closed;
  }
}

const triple = (d: Distribution) => `${fineMs(d.p50)} / ${fineMs(d.p95)} / ${fineMs(d.p99)}`;
const meets = (d: Distribution) => d.p50 < TARGET.p50 && d.p99 < TARGET.p99;

export function gatewayRows(result: GatewayOverhead): Row[] {
  const { dispatch, chunk, batching } = result;
  const target = `p50 < ${TARGET.p50} ms, p99 < ${TARGET.p99} ms`;
  return [
    {
      measure: `gateway overhead (a) paid order dispatched → request at the provider: **added by our code**, paired ours − direct (p50 / p95 / p99; ${result.pairs} pairs; database excluded; one process, loopback)`,
      figure: triple(dispatch.added),
      target,
      met: meets(dispatch.added),
    },
    { measure: '  (a) same, timed inside our code: dispatch → our code asks the openai client to send (the rest is the SDK, as in the direct call)', figure: triple(dispatch.own), target, met: meets(dispatch.own) },
    { measure: '  (a) through our code: generate’s sequence → routeCompletion → runAttempt → openai client → provider', figure: triple(dispatch.ours), target: '(information)', met: null },
    { measure: '  (a) the openai client calling the same local model server directly', figure: triple(dispatch.direct), target: '(information)', met: null },
    {
      measure: `gateway overhead (b) provider writes a chunk → our router hands it to the output writer: **added by our code**, paired chunk by chunk (${chunk.added.n} chunks, ${result.chunksPerAnswer} per answer)`,
      figure: triple(chunk.added),
      target,
      met: meets(chunk.added),
    },
    { measure: '  (b) same, timed inside our code: openai stream yields the chunk → OutputWriter.update entered', figure: triple(chunk.own), target, met: meets(chunk.own) },
    { measure: '  (b) through our code: chunk written → OutputWriter.update entered', figure: triple(chunk.ours), target: '(information)', met: null },
    { measure: '  (b) the openai client directly: chunk written → yielded by its stream', figure: triple(chunk.direct), target: '(information)', met: null },
    {
      measure: `  output batching, by design and not overhead: text handed to the writer → its store write begins (p50 / p95 / max; ${batching.delay.n} chunks of ${batching.answers} answers at ${batching.tokensPerSecond} tokens/s; a write every ${FLUSH_INTERVAL_MS} ms or ${FLUSH_CHARS} characters)`,
      figure: `${ms(batching.delay.p50)} / ${ms(batching.delay.p95)} / ${ms(batching.delay.max)}`,
      target: '(information)',
      met: null,
    },
    { measure: `  published: ${PUBLISHED.litellm.note}`, figure: `${PUBLISHED.litellm.p50} / ${PUBLISHED.litellm.p95} / ${PUBLISHED.litellm.p99} ms`, target: '(comparison)', met: null },
    { measure: `  published: ${PUBLISHED.portkey.note}`, figure: `~${PUBLISHED.portkey.p50} ms median`, target: '(comparison)', met: null },
  ];
}
