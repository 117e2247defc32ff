import { LocalRuntime } from './support/runtime';

/**
 * The content check's quota belongs to the whole mini program (security.msgSecCheck, per AppID):
 * one user must not be able to drain it, and a risky word must not get past it in disguise. Against
 * the real runtime, whose emulated msgSecCheck refuses its configured risky words and records every
 * check it answers.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `guard-user-${++users}`;
const RISKY = 'local-risky-word';

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ RATE_LIMIT_PER_MINUTE: '10' });
});
afterAll(() => runtime?.stop());

const checksFor = async (openid: string) => (await runtime.get<{ records: { openid: string }[] }>('/api/inspect/security-checks')).records.filter((r) => r.openid === openid).length;

test('a user holding an unpaid order gets it back without spending a content check, however often they ask', async () => {
  const user = newUser();
  const pending = await runtime.call('createOrder', { tier: 'quick', prompt: '第一个问题' }, user);
  expect(pending.order.status).toBe('pending_payment');
  expect(await checksFor(user)).toBe(1);
  for (let i = 0; i < 8; i += 1) {
    const again = await runtime.call('createOrder', { tier: 'quick', prompt: `另一个问题 ${i}` }, user);
    expect(again.error.code).toBe('ACTIVE_PAYMENT_EXISTS');
  }
  expect(await checksFor(user)).toBe(1);
});

test('refused prompts count against the user’s limit: after it, RATE_LIMITED comes before any further check', async () => {
  const user = newUser();
  const codes: string[] = [];
  for (let i = 0; i < 15; i += 1) codes.push((await runtime.call('createOrder', { tier: 'quick', prompt: `${RISKY} ${i}` }, user)).error.code);
  expect(codes.slice(0, 10)).toEqual(Array(10).fill('CONTENT_REJECTED'));
  expect(codes.slice(10)).toEqual(Array(5).fill('RATE_LIMITED'));
  expect(await checksFor(user)).toBe(10);
  expect((await runtime.call('listOrders', {}, user)).orders).toEqual([]);
});

test('a risky word split by invisible characters, in full width, with a look-alike letter or combining marks is still refused', async () => {
  const disguises = [
    'local-ri\u200bsky-word',
    'local-risk\u200dy-word',
    'local-ri\u00adsky-word',
    'ｌｏｃａｌ－ｒｉｓｋｙ－ｗｏｒｄ',
    'local-risky-w\u043erd',
    'lo\u0301cal-risky-word',
  ];
  for (const disguise of disguises) {
    const user = newUser();
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: `请解释 ${disguise}` }, user);
    expect({ disguise, code: answer.error?.code }).toEqual({ disguise, code: 'CONTENT_REJECTED' });
  }
});

test('a prompt of invisible characters only is INVALID_INPUT, charges nothing and spends no check', async () => {
  const user = newUser();
  const answer = await runtime.call('createOrder', { tier: 'quick', prompt: '\u200b\u200c\u200d\u2060\ufeff\u00ad \u3000\t' }, user);
  expect(answer.error.code).toBe('INVALID_INPUT');
  expect(await checksFor(user)).toBe(0);
  expect((await runtime.call('listOrders', {}, user)).orders).toEqual([]);
});

test('the model receives the prompt as it was checked: invisible characters gone, full width folded', async () => {
  const user = newUser();
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'ｈｅｌｌｏ\u200b ｗｏｒｌｄ' }, user);
  expect(created.order.prompt).toBe('hello world');
});
