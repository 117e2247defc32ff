import { MAX_BODY_BYTES } from '../local/http';
import { InProcessModelServer } from './support/modelServer';

/** The local model server takes the runtime's body limit, as every other route does. */
let model: InProcessModelServer;
beforeAll(async () => {
  model = await InProcessModelServer.start({ llm: { firstTokenMs: 0, tokensPerSecond: 100_000, answerTokens: 4 } });
});
afterAll(() => model.close());

const post = (body: string) => fetch(`${model.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('a request body larger than the runtime’s limit is refused with 413 and an OpenAI-style error, and counts as no request', async () => {
  const huge = JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES + 10) }] });
  const answer = await post(huge);
  expect(answer.status).toBe(413);
  expect(((await answer.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  expect(model.stats.requests).toBe(0);
});

test('a request within the limit is answered as before', async () => {
  const answer = await post(JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'hello' }] }));
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { choices: unknown[] }).choices).toHaveLength(1);
});

test('a body that is not JSON is a 400', async () => {
  expect((await post('{not json')).status).toBe(400);
});
