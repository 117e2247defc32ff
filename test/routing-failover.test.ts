import { createServer } from 'node:net';
import { localAnswerTokens } from '../local/model/modelServer';
import { estimateTokens } from '../core/models/cost';
import { LocalRuntime } from './support/runtime';
import { attemptList, callsSince, endingEvent, FAST_MODEL, finished, modelCalls, payForOrder, storedOrder } from './support/routingHelpers';

/**
 * Failover through a tier's chain, against the real runtime, the real `openai` client and the
 * local model server with per-model faults. quick = qwen-turbo → deepseek-chat;
 * expert = gpt-4o → claude-sonnet-4 → deepseek-reasoner, where gpt-4o's provider (OPENAI_BASE_URL)
 * points at a loopback port nobody listens on: a real connection error.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `failover-${process.pid}-${++users}`;

const QUICK = { firstTokenTimeoutMs: 1500, attemptTimeoutMs: 5000, totalBudgetMs: 12000 };
const EXPERT = { firstTokenTimeoutMs: 1500, attemptTimeoutMs: 1500, totalBudgetMs: 2500 };

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    RATE_LIMIT_PER_MINUTE: '1000',
    // These tests are about single orders; the breaker has its own test file.
    BREAKER_FAILURES: '1000',
    OPENAI_BASE_URL: `http://127.0.0.1:${await closedLoopbackPort()}/v1`,
    TIER_OVERRIDES: JSON.stringify({ quick: QUICK, expert: EXPERT }),
  });
});
afterAll(async () => {
  await runtime.stop();
});

beforeEach(async () => {
  await runtime.faults({ reset: true, llm: FAST_MODEL });
});

async function runOrder(tier: string, prompt: string, onSeen?: (output: string) => void) {
  const user = newUser();
  const before = await modelCalls(runtime);
  const { orderId } = await payForOrder(runtime, user, tier, prompt);
  const done = await runtime.waitForOrder(orderId, (o) => {
    onSeen?.(o.output as string);
    return finished(o);
  }, user);
  const calls = callsSince(before, await modelCalls(runtime));
  const stored = await storedOrder(runtime, orderId);
  const ending = await endingEvent(runtime, orderId);
  return { done, calls, stored, ending, attempts: attemptList(ending) };
}

describe('a failing model hands the order to the next one in the chain', () => {
  test.each([
    ['a first-token timeout', { timeout: 1 }, 'timeout'],
    ['an HTTP 503', { error: 1, errorStatus: 503 }, 'server_error'],
    ['an HTTP 500', { error: 1, errorStatus: 500 }, 'server_error'],
    ['an HTTP 429', { error: 1, errorStatus: 429 }, 'rate_limited'],
    ['a stream cut off without finish_reason', { truncate: 1, answerTokens: 30 }, 'broken_stream'],
  ])('%s on qwen-turbo → deepseek-chat answers', async (_label, fault, outcome) => {
    await runtime.faults({ llm: { byModel: { 'qwen-turbo': fault } } });
    const { done, calls, stored, attempts } = await runOrder('quick', `failover case ${outcome}`);
    expect(done.status).toBe('completed');
    expect(done.output).toBe(localAnswerTokens(`failover case ${outcome}`, FAST_MODEL.answerTokens).join(''));
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual([`qwen-turbo:${outcome}`, 'deepseek-chat:ok']);
    expect(stored.usage?.provider).toBe('deepseek');
    expect(stored.usage?.model).toBe('deepseek-chat');
  });

  test('a connection error (nothing listening) → the next model answers', async () => {
    const { done, calls, stored, attempts } = await runOrder('expert', 'connection refused case');
    expect(done.status).toBe('completed');
    // gpt-4o never reached the local server: its provider's address refused the connection.
    expect(calls).toEqual({ 'anthropic/claude-sonnet-4': 1 });
    expect(attempts).toEqual(['gpt-4o:connection', 'anthropic/claude-sonnet-4:ok']);
    expect(stored.usage?.model).toBe('anthropic/claude-sonnet-4');
  });

  test('an HTTP 400 (the request itself) is not retried elsewhere: the order is refunded', async () => {
    await runtime.faults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: 400 } } } });
    const { done, calls, attempts } = await runOrder('quick', 'a request the provider refuses');
    expect(done.status).toBe('refunded');
    expect(done.output).toBe('');
    expect(done.error?.code).toBe('GENERATION_FAILED');
    expect(calls).toEqual({ 'qwen-turbo': 1 });
    expect(attempts).toEqual(['qwen-turbo:bad_request']);
  });

  test('every model failing ends in a refund, after each was tried once', async () => {
    await runtime.faults({ llm: { error: 1, errorStatus: 502 } });
    const { done, calls, attempts } = await runOrder('quick', 'nobody answers');
    expect(done.status).toBe('refunded');
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual(['qwen-turbo:server_error', 'deepseek-chat:server_error']);
  });
});

describe('a model that fails after its text was shown (policy: restart with the next model)', () => {
  test('the page sees the first answer vanish and the second one grow, never the two glued together', async () => {
    const prompt = 'explain restarts';
    await runtime.faults({
      llm: {
        byModel: {
          'qwen-turbo': { midStreamError: 1, answerTokens: 40, tokensPerSecond: 25 },
          'deepseek-chat': { answerTokens: 12, tokensPerSecond: 25 },
        },
      },
    });
    const seen: string[] = [];
    const { done, calls, attempts } = await runOrder('quick', prompt, (output) => seen.push(output));
    const first = localAnswerTokens(prompt, 40).join('');
    const second = localAnswerTokens(prompt, 12).join('');
    expect(done.status).toBe('completed');
    expect(done.output).toBe(second);
    expect(calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
    expect(attempts).toEqual(['qwen-turbo:broken_stream', 'deepseek-chat:ok']);
    // Text of the failed model did reach the page (longer than the whole second answer)…
    expect(seen.some((output) => output.length > second.length && first.startsWith(output))).toBe(true);
    // …and every state the page saw is one model's answer so far, never a second answer appended.
    for (const output of seen) {
      expect(first.startsWith(output) || second.startsWith(output)).toBe(true);
      expect(output.split('About "').length).toBeLessThanOrEqual(2);
    }
  });
});

describe('usage and budget', () => {
  test('a provider that sends no usage gets estimated tokens and a cost that is not zero', async () => {
    await runtime.faults({ llm: { byModel: { 'qwen-turbo': { noUsage: true } } } });
    const { done, stored, attempts } = await runOrder('quick', 'count my tokens please');
    expect(done.status).toBe('completed');
    expect(attempts).toEqual(['qwen-turbo:ok']);
    expect(stored.usage?.estimated).toBe(true);
    expect(stored.usage?.completionTokens).toBe(estimateTokens(done.output as string));
    expect(stored.usage?.promptTokens).toBeGreaterThan(estimateTokens('count my tokens please'));
    expect(stored.usage?.costFen).toBeGreaterThan(0);
  });

  test('a slow chain gives up within the tier’s total budget and refunds', async () => {
    await runtime.faults({
      llm: { byModel: { 'anthropic/claude-sonnet-4': { firstTokenMs: 5000 }, 'deepseek-reasoner': { firstTokenMs: 5000 } } },
    });
    const { done, stored, ending, attempts } = await runOrder('expert', 'slow models everywhere');
    expect(done.status).toBe('refunded');
    expect(attempts).toEqual(['gpt-4o:connection', 'anthropic/claude-sonnet-4:timeout', 'deepseek-reasoner:timeout']);
    expect(ending.type).toBe('generation_failed');
    const lastAttempt = ending.detail?.attempts?.[2];
    // The last model only got what was left of the 2.5 s budget, not its own 1.5 s attempt limit.
    expect(lastAttempt?.ms).toBeLessThan(EXPERT.attemptTimeoutMs - 200);
    // The whole generation stayed within the budget (with room for store writes on a busy machine).
    expect(ending.at - (stored.generationStartedAt ?? 0)).toBeLessThan(EXPERT.totalBudgetMs + 1000);
  });
});
