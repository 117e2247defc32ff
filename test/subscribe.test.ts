import fc from 'fast-check';
import type { KeywordKind } from '../core/config/subscribe';
import { fitKeyword, KEYWORD_MAX_CHARS, wechatLength } from '../core/notify/keywords';
import { keywordValueValid } from '../local/cloudbase/openapiHandlers';
import { LocalRuntime } from './support/runtime';
import { eventTypes, inspectOrder, waitForInspection } from './support/wechatpayV3';

let runtime: LocalRuntime;
let userCounter = 0;
const newUser = () => `subscribe-user-${process.pid}-${++userCounter}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SentMessage {
  touser: string;
  templateId: string;
  page: string;
  data: Record<string, { value: string }>;
}

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function messagesTo(openid: string): Promise<SentMessage[]> {
  const { messages } = await runtime.get<{ messages: SentMessage[] }>('/api/messages');
  return messages.filter((m) => m.touser === openid);
}

/** The documented limits, written out again here so the product's own table is checked, not reused. */
function withinKeywordLimit(keyword: string, value: string): boolean {
  const chars = [...value];
  if (keyword.startsWith('thing')) return chars.length >= 1 && chars.length <= 20;
  if (keyword.startsWith('phrase')) return /^[\u4e00-\u9fff]{1,5}$/.test(value);
  if (keyword.startsWith('character_string')) return /^[\x21-\x7e]{1,32}$/.test(value);
  if (keyword.startsWith('amount')) return /^¥\d{1,10}\.\d{2}$/.test(value);
  if (keyword.startsWith('time')) return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value);
  return false;
}

/** The message is sent right after the order's final transition: wait for it, then make sure no second one follows. */
async function waitForMessages(openid: string, count: number): Promise<SentMessage[]> {
  const deadline = Date.now() + 5_000;
  while ((await messagesTo(openid)).length < count && Date.now() < deadline) await sleep(50);
  await sleep(200);
  return messagesTo(openid);
}

async function orderAndPay(user: string, subscribe: boolean | undefined) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas', ...(subscribe === undefined ? {} : { subscribe }) }, user);
  expect(created.ok).toBe(true);
  expect(created.order.subscribed).toBe(subscribe === true);
  expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string };
}

describe('subscribe messages', () => {
  test('a user who accepted gets exactly one message when the answer is ready, every field within its limit, linking to the order', async () => {
    const user = newUser();
    const order = await orderAndPay(user, true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    // Later passes (reconcile, more polling) never send it again.
    await runtime.trigger('reconcile');
    await runtime.call('getOrder', { orderId: order.orderId }, user);
    const sent = await waitForMessages(user, 1);
    expect(sent).toHaveLength(1);
    const message = sent[0] as SentMessage;
    expect(message.templateId).toBe('local-result-template');
    expect(message.page).toBe(`pages/order/order?orderId=${order.orderId}`);
    expect(message.data.phrase2?.value).toBe('已完成');
    expect(message.data.character_string5?.value).toBe(order.outTradeNo);
    // The answer it announces is AI-generated, and says so; a purchase names what was paid.
    expect(message.data.thing1?.value).toMatch(/^AI生成 · ./);
    expect(message.data.thing3?.value).toMatch(/^¥\d+\.\d{2}$/);
    expect(Object.keys(message.data).length).toBeGreaterThan(0);
    for (const [keyword, { value }] of Object.entries(message.data)) expect({ keyword, value, ok: withinKeywordLimit(keyword, value) }).toEqual({ keyword, value, ok: true });
    // The openid was kept sealed only until the send.
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.subscription.openidSealed).toBeUndefined();
    expect(view.order.subscription.sentAt).toBeGreaterThan(0);
    expect(JSON.stringify(view)).not.toContain(user);
  });

  test('a refunded order tells the user it was refunded, once', async () => {
    await runtime.faults({ llm: { error: 1 } });
    const user = newUser();
    const order = await orderAndPay(user, true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunded', user);
    await runtime.trigger('reconcile');
    const sent = await waitForMessages(user, 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.data.phrase2?.value).toBe('已退款');
  });

  test('a user who refused the message (43101, the commonest answer) is recorded once, never asked again, and the sealed openid is erased', async () => {
    await runtime.faults({ openapi: { subscribeRefused: 1 } });
    const user = newUser();
    const order = await orderAndPay(user, true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => eventTypes(v).includes('subscribe_message_refused'));
    expect(view.order.subscription).toEqual({ templateId: 'local-result-template', accepted: true, sentAt: expect.any(Number), lastError: 'errCode 43101' });
    // Later passes do not try again: the grant was for one message.
    await runtime.trigger('reconcile');
    await runtime.call('getOrder', { orderId: order.orderId }, user);
    const later = await inspectOrder(runtime.url, order.outTradeNo);
    expect(later.events.filter((e) => String(e.type).startsWith('subscribe_message_'))).toEqual([expect.objectContaining({ type: 'subscribe_message_refused', detail: { errCode: 43101 } })]);
    expect(later.order.subscription.sentAt).toBe(view.order.subscription.sentAt);
    expect(await messagesTo(user)).toEqual([]);
    expect(JSON.stringify(later)).not.toContain(user);
  });

  test.each([
    ['declined', false],
    ['was never asked', undefined],
  ])('a user who %s gets no message', async (_label, subscribe) => {
    const user = newUser();
    const order = await orderAndPay(user, subscribe);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    await sleep(200);
    await runtime.trigger('reconcile');
    expect(await messagesTo(user)).toEqual([]);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.subscription).toBeUndefined();
  });
});

/** Any UTF-16 text: single code units (lone surrogates among them), emoji, astral CJK, sequences. */
const anyUtf16 = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), fc.constantFrom('🍵', '𠀀', '👨‍👩‍👧', 'e\u0301', '套')), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('keyword values', () => {
  const kinds = Object.keys(KEYWORD_MAX_CHARS) as KeywordKind[];
  const formatted: KeywordKind[] = ['amount', 'time', 'date'];

  test('any text is made to fit its keyword kind, as WeChat checks it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds.filter((k) => !formatted.includes(k))), fc.string({ unit: 'grapheme', maxLength: 80 }), (kind, text) => {
        const value = fitKeyword(kind, text);
        expect([...value].length).toBeLessThanOrEqual(KEYWORD_MAX_CHARS[kind]);
        expect(keywordValueValid(`${kind}1`, value)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('any text, emoji and lone surrogates included, fits as WeChat counts it (UTF-16 units)', () => {
    fc.assert(
      fc.property(fc.constantFrom<KeywordKind>('thing', 'symbol', 'name'), anyUtf16, (kind, text) => {
        const value = fitKeyword(kind, text);
        expect(wechatLength(value)).toBeLessThanOrEqual(KEYWORD_MAX_CHARS[kind]);
        expect(keywordValueValid(`${kind}1`, value)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test.each([
    ['emoji', '🍵'.repeat(15)],
    ['CJK outside the Basic Multilingual Plane', '𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋𠀌'],
    ['an emoji sequence', '套餐👨‍👩‍👧‍👦'.repeat(4)],
  ])('a title of %s (2 units a character) is shortened so that WeChat accepts it, never cutting a character', (_label, title) => {
    const value = fitKeyword('thing', title);
    expect(keywordValueValid('thing1', value)).toBe(true);
    expect(value.endsWith('…')).toBe(true);
    const graphemes = (text: string) => Array.from(new Intl.Segmenter('zh', { granularity: 'grapheme' }).segment(text), (part) => part.segment);
    const kept = graphemes(value.slice(0, -1));
    expect(kept.length).toBeGreaterThan(0);
    expect(graphemes(title).slice(0, kept.length)).toEqual(kept);
  });

  test('a long tier title is shortened to 20 characters, not cut off silently past the limit', () => {
    const value = fitKeyword('thing', '一个非常非常长的套餐名称超过了二十个字的限制呢');
    expect([...value]).toHaveLength(20);
    expect(value.endsWith('…')).toBe(true);
  });
});
