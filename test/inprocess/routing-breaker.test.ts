import { PROVIDER_HEALTH, type ProviderHealthDocument } from '../../core/models/breaker';
import type { OrderDocument } from '../../core/orders/order';
import { InProcess, INSTANT_MODEL } from '../support/inProcess';

/**
 * The provider circuit breaker, shared through the store (`provider_health`), in process: two
 * consecutive failures of a provider open it; while open, later orders skip the provider without
 * calling it; after the cool-down (the virtual clock moved past it) one probe goes through, and its
 * result closes or re-opens the breaker.
 */
const COOL_DOWN_MS = 30_000;
let h: InProcess;
let users = 0;

beforeEach(async () => {
  h = await InProcess.start({ env: { BREAKER_FAILURES: '2', BREAKER_WINDOW_SECONDS: '60', BREAKER_COOLDOWN_SECONDS: String(COOL_DOWN_MS / 1000) } });
});
afterEach(async () => {
  await h.close();
});

async function order(prompt: string) {
  const before = h.model.calls();
  const done = await h.paidOrder(`breaker-${++users}`, 'quick', prompt);
  const ending = await h.endingEvent(done._id);
  const calls: Record<string, number> = {};
  for (const [model, count] of Object.entries(h.model.calls())) if (count > (before[model] ?? 0)) calls[model] = count - (before[model] ?? 0);
  return {
    status: done.status,
    model: (done as OrderDocument).usage?.model,
    calls,
    attempts: ((ending.detail?.attempts ?? []) as { model: string; outcome: string }[]).map((a) => `${a.model}:${a.outcome}`),
  };
}

async function dashscopeHealth(): Promise<ProviderHealthDocument | undefined> {
  const { data } = await h.ctx.db.collection(PROVIDER_HEALTH).where({ _id: 'dashscope' }).get();
  return data[0] as unknown as ProviderHealthDocument | undefined;
}

test('a provider that keeps failing is skipped for a cool-down, probed once, and used again once it recovers', async () => {
  h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: 503 } } } });

  // Two failures in a row: each order still completes on deepseek-chat; the second opens the breaker.
  for (const n of [1, 2]) {
    expect(await order(`failing provider ${n}`)).toMatchObject({ status: 'completed', model: 'deepseek-chat', calls: { 'qwen-turbo': 1, 'deepseek-chat': 1 } });
  }
  const opened = await dashscopeHealth();
  expect(opened?.failures).toBe(2);
  expect(opened?.openUntil).toBe(h.clock.now() + COOL_DOWN_MS);

  // While open, orders go straight to deepseek-chat: qwen-turbo is not called at all.
  await h.clock.advance(COOL_DOWN_MS - 1);
  for (const n of [3, 4]) {
    const result = await order(`breaker open ${n}`);
    expect(result.calls).toEqual({ 'deepseek-chat': 1 });
    expect(result.attempts).toEqual(['qwen-turbo:skipped_breaker', 'deepseek-chat:ok']);
  }

  // After the cool-down one probe reaches qwen-turbo; it still fails, so the breaker re-opens at once.
  await h.clock.advance(1);
  const probe = await order('probe while still failing');
  expect(probe.calls).toEqual({ 'qwen-turbo': 1, 'deepseek-chat': 1 });
  expect(probe.attempts).toEqual(['qwen-turbo:server_error', 'deepseek-chat:ok']);
  expect((await dashscopeHealth())?.openUntil).toBe(h.clock.now() + COOL_DOWN_MS);
  expect((await order('re-opened')).calls).toEqual({ 'deepseek-chat': 1 });

  // The provider recovers; after the next cool-down the probe succeeds and closes the breaker.
  h.model.setFaults({ llm: { byModel: { 'qwen-turbo': null } } });
  await h.clock.advance(COOL_DOWN_MS);
  expect(await order('provider is back')).toMatchObject({ status: 'completed', model: 'qwen-turbo', calls: { 'qwen-turbo': 1 } });
  expect(await dashscopeHealth()).toMatchObject({ failures: 0, openUntil: 0 });
  expect((await order('business as usual')).calls).toEqual({ 'qwen-turbo': 1 });
});

test('failures further apart than the window do not open the breaker', async () => {
  h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: 500 } } } });
  await order('first failure');
  await h.clock.advance(60_001);
  expect((await order('second failure, a minute later')).attempts).toEqual(['qwen-turbo:server_error', 'deepseek-chat:ok']);
  expect(await dashscopeHealth()).toMatchObject({ failures: 1, openUntil: 0 });
});

test('a request the provider refuses as malformed (HTTP 400) says nothing about its health', async () => {
  h.model.setFaults({ llm: { byModel: { 'qwen-turbo': { error: 1, errorStatus: 400 } } } });
  for (const n of [1, 2, 3]) expect((await order(`bad request ${n}`)).status).toBe('refunded');
  expect(await dashscopeHealth()).toBeUndefined();
});

test('when every provider of the chain is cooling down, the order still tries them rather than refund untried', async () => {
  h.model.setFaults({ reset: true, llm: { ...INSTANT_MODEL, error: 1, errorStatus: 500 } });
  // Open both breakers: each failing order counts one failure for each provider.
  for (const n of [1, 2]) expect((await order(`all failing ${n}`)).status).toBe('refunded');
  // Both open now; the provider behind deepseek-chat recovers.
  h.model.setFaults({ llm: { byModel: { 'deepseek-chat': { error: 0 } } } });
  const result = await order('last resort');
  expect(result.attempts).toEqual(['qwen-turbo:skipped_breaker', 'deepseek-chat:skipped_breaker', 'qwen-turbo:server_error', 'deepseek-chat:ok']);
  expect(result).toMatchObject({ status: 'completed', model: 'deepseek-chat' });
});
