import { createServer } from 'node:net';
import { estimateTokens } from '../../core/models/cost';
import type { OrderDocument } from '../../core/orders/order';
import { localAnswerTokens } from '../../local/model/modelServer';
import { InProcess, INSTANT_MODEL } from '../support/inProcess';
import { orderStore } from '../../core/orders/store';

/**
 * Failover through a tier's chain, in process: the real handlers, the real `openai` client and the
 * local model server (on loopback) with per-model faults; deadlines run on the virtual clock, so a
 * first-token timeout is the test moving the time past it. quick = qwen-turbo → deepseek-chat;
 * expert is set here to glm-4-plus → qwen-max → deepseek-reasoner, where glm-4-plus's provider
 * (ZHIPU_BASE_URL) points at a loopback port nobody listens on: a real connection error.
 */
const QUICK = { firstTokenTimeoutMs: 1500, attemptTimeoutMs: 5000, totalBudgetMs: 12000 };
const EXPERT = {
  firstTokenTimeoutMs: 1500,
  attemptTimeoutMs: 1500,
  totalBudgetMs: 2500,
  models: [
    { provider: 'zhipu', model: 'glm-4-plus' },
    { provider: 'dashscope', model: 'qwen-max' },
    { provider: 'deepseek', model: 'deepseek-reasoner' },
  ],
};

let h: InProcess;
let users = 0;
const newUser = () => `failover-${++users}`;

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  h = await InProcess.start({
    // These tests are about single orders; the breaker has its own test file.
    env: { BREAKER_FAILURES: '1000', TIER_OVERRIDES: JSON.stringify({ quick: QUICK, expert: EXPERT }) },
    secrets: { ZHIPU_BASE_URL: `http://127.0.0.1:${await closedLoopbackPort()}/v1` },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.model.setFaults({ reset: true, llm: INSTANT_MODEL });
});

function callsSince(before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [model, count] of Object.entries(h.model.calls())) if (count > (before[model] ?? 0)) delta[model] = count - (before[model] ?? 0);
  return delta;
}

type Calls = Record<string, number>;

/** A paid order; `whileRunning` may move the clock while its generation runs. */
async function runOrder(tier: string, prompt: string, whileRunning?: (before: Calls) => Promise<void>) {
  const before = h.model.calls();
  const order = await h.createOrder(newUser(), tier, prompt);
  await h.pay(order);
  await whileRunning?.(before);
  await h.settled();
  const stored = (await h.order(order._id)) as OrderDocument;
  const ending = await h.endingEvent(order._id);
  const attempts = ((ending.detail?.attempts ?? []) as { model: string; outcome: string; ms: number }[]);
  return { stored, ending, calls: callsSince(before), attempts: attempts.map((a) => `${a.model}:${a.outcome}`), timings: attempts.map((a) => a.ms) };
}

/** Once `model` has received its request of this order, the time moves on by `ms` (a deadline falls due). */
async function afterRequestTo(before: Calls, model: string, ms: number): Promise<void> {
  await h.until(() => (h.model.calls()[model] ?? 0) > (before[model] ?? 0), `a request to ${model}`);
  await h.clock.advance(ms);
}

describe('a failing model hands the order to the next one in the chain', () => {
  test.each([
    ['an HTTP 503', { error: 1, errorStatus: 503 }, 'server_error'],
    ['an HTTP 500', { error: 1, errorStatus: 500 }, 'server_error'],
    ['an HTTP 429', { error: 1, errorStatus: 429 }, 'rate_limited'],
    ['an HTTP 401 (our key or account at that provider)', { error: 1, errorStatus: 401 }, 'auth'],
    ['a stream cut off without finish_reason', { truncate: 1, answerTokens: 30 }, 'broken_stream'],
    ['an error event inside the stream', { midStreamError: 1, answerTokens: 30 }, 'broken_stream'],
    ['a stream that ends cleanly with nothing said', { answerTokens: 0 }, 'broken_stream'],
  ])('%s on qwen-turbo → deepseek-chat answers', async (_label, fault, outcome) => {
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': fault } } });
    const prompt = `failover case ${_label}`;
    const { stored, calls, attempts } = await runOrder('quick', prompt);
    expect(stored.status).toBe('completed');
    expect(stored.output).toBe(localAnswerTokens(prompt, INSTANT_MODEL.answerTokens).join(''));
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual([`qwen-turbo:${outcome}`, 'deepseek-chat:ok']);
    expect(stored.usage?.provider).toBe('deepseek');
    expect(stored.usage?.model).toBe('deepseek-chat');
  });

  test('a first token that never comes: at the first-token deadline the next model answers', async () => {
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { timeout: 1 } } } });
    const { stored, calls, attempts, timings } = await runOrder('quick', 'failover case timeout', (before) => afterRequestTo(before, 'qwen-turbo', QUICK.firstTokenTimeoutMs));
    expect(stored.status).toBe('completed');
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual(['qwen-turbo:timeout', 'deepseek-chat:ok']);
    // The deadline ended the attempt, not the attempt's own (longer) limit.
    expect(timings[0]).toBe(QUICK.firstTokenTimeoutMs);
  });

  test('a connection error (nothing listening) → the next model answers', async () => {
    const { stored, calls, attempts } = await runOrder('expert', 'connection refused case');
    expect(stored.status).toBe('completed');
    // glm-4-plus never reached the local server: its provider's address refused the connection.
    expect(calls).toEqual({ 'qwen-max': 1 });
    expect(attempts).toEqual(['glm-4-plus:connection', 'qwen-max:ok']);
    expect(stored.usage?.model).toBe('qwen-max');
  });

  test.each([
    ['an HTTP 400', 400],
    ['an HTTP 422', 422],
  ])('%s (the request itself) is not retried elsewhere: the order is refunded', async (_label, status) => {
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: status } } } });
    const { stored, calls, attempts } = await runOrder('quick', 'a request the provider refuses');
    expect(stored.status).toBe('refunded');
    expect(stored.output).toBe('');
    expect(stored.error?.code).toBe('GENERATION_FAILED');
    expect(calls).toEqual({ 'qwen-turbo': 1 });
    expect(attempts).toEqual(['qwen-turbo:bad_request']);
  });

  test('every model failing ends in a refund, after each was tried once', async () => {
    h.model.setFaults({ llm: { error: 1, errorStatus: 502 } });
    const { stored, calls, attempts } = await runOrder('quick', 'nobody answers');
    expect(stored.status).toBe('refunded');
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual(['qwen-turbo:server_error', 'deepseek-chat:server_error']);
  });
});

describe('a model that fails after its text was shown (policy: restart with the next model)', () => {
  test('what the page can read is the first answer, then nothing, then the second one growing: never the two glued together', async () => {
    const prompt = 'explain restarts';
    // Long enough that a batch of the first answer (FLUSH_CHARS) is stored before it breaks.
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { midStreamError: 1, answerTokens: 240 }, 'deepseek-chat': { answerTokens: 12 } } } });
    const written: string[] = [];
    const patch = jest.spyOn(orderStore(h.ctx), 'patch');
    const transition = jest.spyOn(orderStore(h.ctx), 'transition');
    try {
      const { stored, calls, attempts } = await runOrder('quick', prompt);
      for (const [, , set] of patch.mock.calls) if (typeof set.output === 'string') written.push(set.output);
      for (const [request] of transition.mock.calls) if (typeof request.set?.output === 'string') written.push(request.set.output);
      const first = localAnswerTokens(prompt, 240).join('');
      const second = localAnswerTokens(prompt, 12).join('');
      expect(stored.status).toBe('completed');
      expect(stored.output).toBe(second);
      expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
      expect(attempts).toEqual(['qwen-turbo:broken_stream', 'deepseek-chat:ok']);
      // Text of the failed model did reach the store (longer than the whole second answer)…
      expect(written.some((output) => output.length > second.length && first.startsWith(output))).toBe(true);
      // …and every state stored is one model's answer so far, never a second answer appended.
      for (const output of written) {
        expect(first.startsWith(output) || second.startsWith(output)).toBe(true);
        expect(output.split('About "').length).toBeLessThanOrEqual(2);
      }
    } finally {
      patch.mockRestore();
      transition.mockRestore();
    }
  });
});

describe('usage and budget', () => {
  test('a provider that sends no usage gets estimated tokens and a cost that is not zero', async () => {
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { noUsage: true } } } });
    const { stored, attempts } = await runOrder('quick', 'count my tokens please');
    expect(stored.status).toBe('completed');
    expect(attempts).toEqual(['qwen-turbo:ok']);
    expect(stored.usage?.estimated).toBe(true);
    expect(stored.usage?.completionTokens).toBe(estimateTokens(stored.output));
    expect(stored.usage?.promptTokens).toBeGreaterThan(estimateTokens('count my tokens please'));
    expect(stored.usage?.costFen).toBeGreaterThan(0);
  });

  test('a slow chain gives up within the tier’s total budget and refunds', async () => {
    h.model.setFaults({ llm: { byModel: { 'qwen-max': { timeout: 1 }, 'deepseek-reasoner': { timeout: 1 } } } });
    const left = EXPERT.totalBudgetMs - EXPERT.attemptTimeoutMs;
    const { stored, ending, attempts, timings } = await runOrder('expert', 'slow models everywhere', async (before) => {
      await afterRequestTo(before, 'qwen-max', EXPERT.attemptTimeoutMs);
      await afterRequestTo(before, 'deepseek-reasoner', left);
    });
    expect(stored.status).toBe('refunded');
    expect(attempts).toEqual(['glm-4-plus:connection', 'qwen-max:timeout', 'deepseek-reasoner:timeout']);
    expect(ending.type).toBe('generation_failed');
    // The last model only got what was left of the budget, not its own attempt limit…
    expect(timings[2]).toBe(left);
    // …and the whole generation stayed within the budget.
    expect(ending.at - (stored.generationStartedAt ?? 0)).toBeLessThanOrEqual(EXPERT.totalBudgetMs);
  });
});
