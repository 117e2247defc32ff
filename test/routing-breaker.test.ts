import { LocalRuntime } from './support/runtime';
import { attemptList, callsSince, endingEvent, FAST_MODEL, finished, modelCalls, payForOrder, storedDocuments, storedOrder } from './support/routingHelpers';

/**
 * The provider circuit breaker, shared through the store (`provider_health`): two consecutive
 * failures of a provider open it; while open, later orders skip the provider without calling it;
 * after the cool-down one probe goes through, and its result closes or re-opens the breaker.
 */
// Long enough that a slow, shared machine finishes the "while open" orders inside it.
const COOL_DOWN_MS = 2500;
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `breaker-${process.pid}-${++users}`;

interface HealthDoc {
  _id: string;
  failures: number;
  openUntil: number;
}

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    RATE_LIMIT_PER_MINUTE: '1000',
    BREAKER_FAILURES: '2',
    BREAKER_WINDOW_SECONDS: '60',
    BREAKER_COOLDOWN_SECONDS: String(COOL_DOWN_MS / 1000),
  });
  await runtime.faults({ reset: true, llm: FAST_MODEL });
});
afterAll(async () => {
  await runtime.stop();
});

async function order(prompt: string) {
  const user = newUser();
  const before = await modelCalls(runtime);
  const { orderId } = await payForOrder(runtime, user, 'quick', prompt);
  const done = await runtime.waitForOrder(orderId, finished, user);
  const ending = await endingEvent(runtime, orderId);
  return {
    status: done.status as string,
    model: (await storedOrder(runtime, orderId)).usage?.model,
    calls: callsSince(before, await modelCalls(runtime)),
    attempts: attemptList(ending),
  };
}

async function dashscopeHealth(): Promise<HealthDoc | undefined> {
  return (await storedDocuments<HealthDoc>(runtime, 'provider_health')).find((d) => d._id === 'dashscope');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a provider that keeps failing is skipped for a cool-down, probed once, and used again once it recovers', async () => {
  await runtime.faults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: 503 } } } });

  // Two failures in a row: each order still completes on deepseek-chat; the second opens the breaker.
  for (const n of [1, 2]) {
    const result = await order(`failing provider ${n}`);
    expect(result).toMatchObject({ status: 'completed', model: 'deepseek-chat', calls: { 'qwen-turbo': 1, 'deepseek-chat': 1 } });
  }
  const opened = await dashscopeHealth();
  expect(opened?.failures).toBe(2);
  expect(opened?.openUntil).toBeGreaterThan(Date.now());

  // While open, orders go straight to deepseek-chat: qwen-turbo is not called at all.
  for (const n of [3, 4]) {
    const result = await order(`breaker open ${n}`);
    expect(result.calls).toEqual({ 'deepseek-chat': 1 });
    expect(result.attempts).toEqual(['qwen-turbo:skipped_breaker', 'deepseek-chat:ok']);
  }

  // After the cool-down one probe reaches qwen-turbo; it still fails, so the breaker re-opens at once.
  await sleep(COOL_DOWN_MS + 200);
  const probe = await order('probe while still failing');
  expect(probe.calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
  expect(probe.attempts).toEqual(['qwen-turbo:server_error', 'deepseek-chat:ok']);
  expect((await dashscopeHealth())?.openUntil).toBeGreaterThan(Date.now());
  expect((await order('re-opened')).calls).toEqual({ 'deepseek-chat': 1 });

  // The provider recovers; after the next cool-down the probe succeeds and closes the breaker.
  await runtime.faults({ llm: { byModel: { 'qwen-turbo': null } } });
  await sleep(COOL_DOWN_MS + 200);
  const recovered = await order('provider is back');
  expect(recovered).toMatchObject({ status: 'completed', model: 'qwen-turbo', calls: { 'qwen-turbo': 1 } });
  expect(await dashscopeHealth()).toMatchObject({ failures: 0, openUntil: 0 });
  expect((await order('business as usual')).calls).toEqual({ 'qwen-turbo': 1 });
});

test('when every provider of the chain is cooling down, the order still tries them rather than refund untried', async () => {
  await runtime.faults({ reset: true, llm: { ...FAST_MODEL, error: 1, errorStatus: 500 } });
  // Open both breakers: each failing order counts one failure for each provider.
  for (const n of [1, 2]) expect((await order(`all failing ${n}`)).status).toBe('refunded');
  // Both open now; the provider behind deepseek-chat recovers.
  await runtime.faults({ llm: { byModel: { 'deepseek-chat': { error: 0 } } } });
  const result = await order('last resort');
  expect(result.attempts).toEqual(['qwen-turbo:skipped_breaker', 'deepseek-chat:skipped_breaker', 'qwen-turbo:server_error', 'deepseek-chat:ok']);
  expect(result).toMatchObject({ status: 'completed', model: 'deepseek-chat' });
});
