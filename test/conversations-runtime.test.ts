import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './support/json';
import { finished, payForOrder, storedDocuments } from './support/routingHelpers';
import { LocalRuntime } from './support/runtime';

/**
 * Conversations end to end on the real runtime: the function bundles over HTTP, the real
 * wx-server-sdk against the emulated CloudBase, the local model server (which keeps the requests it
 * received: GET /api/inspect/model-requests), and the store's files on disk.
 */
const ALICE = `oConversationAlice${process.pid}`;
const BOB = `oConversationBob${process.pid}`;
const MARK = '紫色长颈鹿';
const PHONE = '13812345678';

let runtime: LocalRuntime;
let conversationId = '';
const turns: Json[] = [];

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ PAY_MODE: 'simulator', RATE_LIMIT_PER_MINUTE: '1000', SUPPORT_CONTACT: 'support@example.com' });
});
afterAll(async () => {
  await runtime.stop();
});

async function ask(openid: string, prompt: string, conversation?: string): Promise<Json> {
  const { orderId } = await payForOrder(runtime, openid, 'quick', prompt, conversation ? { conversationId: conversation } : {});
  return runtime.waitForOrder(orderId, finished, openid);
}

const code = (answer: Json) => (answer.ok ? 'ok' : answer.error.code);

test('a follow-up is sent to the model as the earlier turns, in order and redacted, then the new question', async () => {
  const first = await ask(ALICE, `${MARK}：我的电话是${PHONE}，第一个问题`);
  expect(first.status).toBe('completed');
  conversationId = first.conversationId as string;
  expect(conversationId).toMatch(/^c[A-Za-z0-9]{23}$/);
  const second = await ask(ALICE, `${MARK}：第二个问题`, conversationId);
  expect(second).toMatchObject({ status: 'completed', conversationId });
  turns.push(first, second);
  const { requests } = await runtime.get<{ requests: { model: string; messages: { role: string; content: string }[] }[] }>('/api/inspect/model-requests');
  const last = requests[requests.length - 1];
  expect(last?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  expect(last?.messages.slice(1).map((m) => m.content)).toEqual([`${MARK}：我的电话是[PHONE]，第一个问题`, first.output, `${MARK}：第二个问题`]);
  expect(JSON.stringify(requests)).not.toContain(PHONE);
});

test('history lists the conversation (title, turns, last activity); getConversation stacks its turns oldest first', async () => {
  const listed = await runtime.call('listConversations', {}, ALICE);
  expect(listed).toMatchObject({ ok: true, nextCursor: null, conversations: [{ conversationId, title: `${MARK}：我的电话是[PHONE]，第一个问题`, turns: 2 }] });
  expect(listed.conversations[0].updatedAt).toBeGreaterThanOrEqual(turns[1]?.createdAt as number);
  const got = await runtime.call('getConversation', { conversationId }, ALICE);
  expect(got.ok).toBe(true);
  expect(got.conversation.turns.map((t: Json) => [t.orderId, t.status])).toEqual(turns.map((t) => [t.orderId, 'completed']));
});

test("another user's conversation is NOT_FOUND: reading it, following up in it, deleting it, reporting its answer", async () => {
  const answers = [
    await runtime.call('getConversation', { conversationId }, BOB),
    await runtime.call('createOrder', { tier: 'quick', prompt: 'let me in', conversationId }, BOB),
    await runtime.call('deleteConversation', { conversationId }, BOB),
    await runtime.call('reportAnswer', { orderId: turns[0]?.orderId, reason: 'harmful' }, BOB),
  ];
  expect(answers.map(code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
  expect((await runtime.call('listConversations', {}, BOB)).conversations).toEqual([]);
  expect((await runtime.call('getConversation', { conversationId }, ALICE)).conversation.turns).toHaveLength(2);
});

test('an answer that stops at the tier’s max_tokens is marked truncated', async () => {
  await runtime.faults({ llm: { answerTokens: 900, tokensPerSecond: 20_000 } });
  try {
    const cut = await ask(ALICE, 'Please write a very long story');
    expect(cut).toMatchObject({ status: 'completed', truncated: true });
  } finally {
    await runtime.faults({ reset: true });
  }
  const whole = await ask(ALICE, 'A short answer please');
  expect(whole.status).toBe('completed');
  expect(whole).not.toHaveProperty('truncated');
});

test('举报/反馈: the report is recorded for the operator (no openid, a log line without the note); listTiers names the support contact', async () => {
  const reported = await runtime.call('reportAnswer', { orderId: turns[1]?.orderId, reason: 'inaccurate', note: `答案不对，联系我 ${PHONE}` }, ALICE);
  expect(reported).toMatchObject({ ok: true, reportId: expect.stringMatching(/^r[A-Za-z0-9]{23}$/) });
  const reports = await storedDocuments<Json>(runtime, 'reports');
  expect(reports).toEqual([expect.objectContaining({ _id: reported.reportId, orderId: turns[1]?.orderId, conversationId, reason: 'inaccurate', note: '答案不对，联系我 [PHONE]', status: 'open' })]);
  expect(JSON.stringify(reports)).not.toContain(ALICE);
  await runtime.untilOutputShows('"event":"answer_reported"');
  const line = runtime.output.split('\n').find((l) => l.includes('"event":"answer_reported"')) as string;
  expect(JSON.parse(line)).toMatchObject({ level: 'error', reportId: reported.reportId, reason: 'inaccurate' });
  expect(line).not.toContain('答案不对');
  const invalid = await runtime.call('reportAnswer', { orderId: turns[1]?.orderId, reason: 'boring' }, ALICE);
  expect(code(invalid)).toBe('INVALID_INPUT');
  expect(await runtime.call('listTiers', {})).toMatchObject({ ok: true, support: { contact: 'support@example.com' } });
});

test('deleteConversation: afterwards it is NOT_FOUND and the store on disk holds none of its prompts or answers', async () => {
  const answerSnippet = (turns[0]?.output as string).slice(0, 24);
  expect(JSON.stringify(await storedDocuments(runtime, 'orders'))).toContain(MARK);
  expect(await runtime.call('deleteConversation', { conversationId }, ALICE)).toEqual({ ok: true });
  expect(code(await runtime.call('getConversation', { conversationId }, ALICE))).toBe('NOT_FOUND');
  expect((await runtime.call('listConversations', {}, ALICE)).conversations.map((c: Json) => c.conversationId)).not.toContain(conversationId);
  const orders = await storedDocuments<Json>(runtime, 'orders');
  for (const turn of turns) {
    expect(orders.find((o) => o._id === turn.orderId)).toMatchObject({ prompt: '', output: '', status: 'completed', amountFen: turn.amountFen, outTradeNo: turn.outTradeNo });
  }
  // The store's files themselves: NeDB appends every change and rewrites a file when it compacts
  // it (at the latest when the runtime stops), so the old lines are gone once it has.
  await runtime.stop();
  const dir = join(runtime.dataDir, 'functions');
  const files = readdirSync(dir).filter((name) => name.endsWith('.db'));
  expect(files).toEqual(expect.arrayContaining(['orders.db', 'order_events.db', 'conversations.db', 'reports.db']));
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    expect({ file, mark: text.includes(MARK), answer: text.includes(answerSnippet), phone: text.includes(PHONE) }).toEqual({ file, mark: false, answer: false, phone: false });
  }
});
