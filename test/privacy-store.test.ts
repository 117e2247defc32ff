import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { passesLuhn } from '../core/privacy/redact';
import { LocalRuntime } from './support/runtime';
import { FAST_MODEL, finished, payForOrder, storedDocuments, type StoredOrder } from './support/routingHelpers';

/**
 * After a run with prompts full of personal data, subscribed orders, a failover and a refund: the
 * functions' store holds no raw openid and none of the personal values, only redacted prompts and
 * counts; the sealed openids were erased once the messages went out; and the logs (every level)
 * hold no openid, prompt or output.
 */
const OPENIDS = [1, 2, 3, 4].map((n) => `oPrivacyTest${process.pid}User${n}`);
const PROMPT_MARKER = '紫色长颈鹿';

function cardWithLuhn(prefix: string): string {
  for (let digit = 0; digit < 10; digit += 1) if (passesLuhn(`${prefix}${digit}`)) return `${prefix}${digit}`;
  throw new Error('no check digit');
}
const UNIONPAY = cardWithLuhn('622202123456789012');
const PII = {
  mobile: '13812345678',
  mobileSpaced: '139 8765 4321',
  id18: '11010519491231002X',
  id15: '110105491231002',
  visa: '4111 1111 1111 1111',
  unionpay: UNIONPAY,
  email: 'li.lei@example.com',
  transaction: '4200001234202611250123456789',
};
/** Each value as written and as bare digits, so a partly redacted or re-spaced copy is caught too. */
const NEEDLES = [...Object.values(PII), ...Object.values(PII).map((v) => v.replace(/\D/g, '')).filter((v) => v.length >= 11)];

let runtime: LocalRuntime;
const orders: { openid: string; orderId: string; prompt: string; output: string; status: string }[] = [];

beforeAll(async () => {
  // Every log level is captured, not only warnings and errors.
  runtime = await LocalRuntime.quick({ QUIET_LOGS: '0', RATE_LIMIT_PER_MINUTE: '1000' });
  await runtime.faults({ reset: true, llm: FAST_MODEL });
  const run = async (openid: string, tier: string, prompt: string, subscribe: boolean) => {
    const { orderId } = await payForOrder(runtime, openid, tier, prompt, { subscribe });
    const done = await runtime.waitForOrder(orderId, finished, openid);
    orders.push({ openid, orderId, prompt, output: done.output as string, status: done.status as string });
  };
  await run(OPENIDS[0] as string, 'quick', `${PII.mobile} 是我的手机，身份证${PII.id18}，请帮我写一封给${PROMPT_MARKER}公司的投诉信`, false);
  await run(OPENIDS[1] as string, 'expert', `${PII.email} 是我的邮箱；卡号 ${PII.visa}；交易单号${PII.transaction}扣了两次钱，${PROMPT_MARKER}帮帮我`, true);
  // A model that fails mid-stream: the answer restarts on the next model.
  await runtime.faults({ llm: { byModel: { 'qwen-turbo': { midStreamError: 1 } } } });
  await run(OPENIDS[2] as string, 'quick', `+86 ${PII.mobileSpaced} 老身份证${PII.id15}，${PROMPT_MARKER}怎么办`, true);
  // A request the provider refuses: refunded, and the subscribe message says so.
  await runtime.faults({ llm: { byModel: { 'qwen-turbo': { midStreamError: 0, error: 1, errorStatus: 400 } } } });
  await run(OPENIDS[3] as string, 'quick', `退款到银行卡${PII.unionpay}，${PROMPT_MARKER}`, true);
  // Let the last audit events and message bookkeeping land.
  await new Promise((resolve) => setTimeout(resolve, 300));
});
afterAll(async () => {
  await runtime.stop();
});

test('the run covered completed, restarted and refunded orders', () => {
  expect(orders.map((o) => o.status)).toEqual(['completed', 'completed', 'completed', 'refunded']);
});

test('the model only ever saw the redacted prompt (the local model echoes its start)', () => {
  expect(orders[0]?.output.startsWith('关于“[PHONE] 是我的手')).toBe(true);
  expect(orders[1]?.output.startsWith('关于“[EMAIL] 是我的邮')).toBe(true);
  // The +86 prefix is part of the redacted number.
  expect(orders[2]?.output.startsWith('关于“[PHONE] 老身份证”')).toBe(true);
});

test('orders store the redacted prompt and counts of what was removed, never the values', async () => {
  const stored = await storedDocuments<StoredOrder>(runtime, 'orders');
  const byId = new Map(stored.map((o) => [o._id, o]));
  expect(byId.get(orders[0]?.orderId as string)?.redactions).toEqual({ mobile: 1, id_number: 1 });
  expect(byId.get(orders[1]?.orderId as string)?.redactions).toEqual({ email: 1, bank_card: 1, payment_id: 1 });
  expect(byId.get(orders[2]?.orderId as string)?.redactions).toEqual({ mobile: 1, id_number: 1 });
  expect(byId.get(orders[3]?.orderId as string)?.redactions).toEqual({ bank_card: 1 });
  for (const order of orders) expect(byId.get(order.orderId)?.prompt).toContain(PROMPT_MARKER);
});

test('a sealed openid is erased once its subscribe message is sent', async () => {
  const stored = await storedDocuments<StoredOrder>(runtime, 'orders');
  const subscribed = stored.filter((o) => o.subscription?.accepted);
  expect(subscribed).toHaveLength(3);
  for (const order of subscribed) {
    expect(order.subscription?.sentAt).toEqual(expect.any(Number));
    expect(order.subscription?.openidSealed).toBeUndefined();
  }
  // The messages did reach those users (on the simulated WeChat side, which knows openids).
  const { messages } = await runtime.get<{ messages: { touser: string }[] }>('/api/messages');
  expect(messages.map((m) => m.touser).sort()).toEqual([OPENIDS[1], OPENIDS[2], OPENIDS[3]].sort());
});

test('no file of the functions’ store holds a raw openid or any personal value, in any version of any document', () => {
  // NeDB files are append-only logs: reading the raw text covers every past version of every document.
  const dir = join(runtime.dataDir, 'functions');
  const files = readdirSync(dir).filter((name) => name.endsWith('.db'));
  expect(files).toEqual(expect.arrayContaining(['orders.db', 'order_events.db']));
  const leaks: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const needle of [...OPENIDS, ...NEEDLES]) if (text.includes(needle)) leaks.push(`${file}: ${needle}`);
  }
  expect(leaks).toEqual([]);
});

test('the logs hold no openid, prompt or output', () => {
  const logs = runtime.output;
  expect(logs.length).toBeGreaterThan(0);
  const found: string[] = [];
  for (const needle of [...OPENIDS, ...NEEDLES, PROMPT_MARKER, '[PHONE]', '[EMAIL]']) if (logs.includes(needle)) found.push(needle);
  for (const order of orders) {
    if (order.output && logs.includes(order.output.slice(0, 16))) found.push(`output of ${order.orderId}`);
  }
  expect(found).toEqual([]);
});
