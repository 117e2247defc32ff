import { LocalRuntime } from './support/runtime';

test('LLM_BASE_URL and LLM_MODEL send every model call to that endpoint instead', async () => {
  // Runtime "provider" plays a real OpenAI-compatible provider somewhere else.
  const provider = await LocalRuntime.start();
  const product = await LocalRuntime.start({ LLM_BASE_URL: `${provider.url}/v1`, LLM_API_KEY: 'sk-test', LLM_MODEL: 'my-hosted-model' });
  try {
    const created = await product.call('createOrder', { tier: 'expert', prompt: 'Route me elsewhere' }, 'router');
    await product.pay(created.order.outTradeNo);
    const done = await product.waitForOrder(created.order.orderId, (o) => o.status === 'completed', 'router');
    expect(done.output).toMatch(/^About "Route me elsewhere"/);
    const providerStats = await provider.get<{ model: { byModel: Record<string, number> } }>('/api/stats');
    const productStats = await product.get<{ model: { requests: number } }>('/api/stats');
    expect(providerStats.model.byModel).toEqual({ 'my-hosted-model': 1 });
    expect(productStats.model.requests).toBe(0);
  } finally {
    await product.stop();
    await provider.stop();
  }
});
