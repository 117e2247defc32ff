import { InProcess } from '../support/inProcess';
import { InProcessModelServer } from '../support/modelServer';

test('LLM_BASE_URL and LLM_MODEL send every model call to that endpoint instead', async () => {
  // A second model server plays a real OpenAI-compatible provider somewhere else.
  const provider = await InProcessModelServer.start({ llm: { firstTokenMs: 0, tokensPerSecond: 100_000 } });
  const h = await InProcess.start({ env: { LLM_BASE_URL: `${provider.url}/v1`, LLM_API_KEY: 'sk-test', LLM_MODEL: 'my-hosted-model' } });
  try {
    const done = await h.paidOrder('router', 'expert', 'Route me elsewhere');
    expect(done.status).toBe('completed');
    expect(done.output).toMatch(/^About "Route me elsewhere"/);
    expect(provider.calls()).toEqual({ 'my-hosted-model': 1 });
    expect(h.model.stats.requests).toBe(0);
  } finally {
    await h.close();
    await provider.close();
  }
});
