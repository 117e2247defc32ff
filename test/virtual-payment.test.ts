import { LocalRuntime } from './support/runtime';
import type { Json } from './support/json';

/**
 * Virtual payment end to end: the real functions in the local runtime, selling through its emulator
 * of WeChat's side (local/wechat), which verifies every signature with its own implementation and
 * keeps the balances. Tokens (top-up, spend, return), direct purchase (pay, refund), the session
 * key, iOS, welcome tokens and pushes.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `vp-user-${++users}`;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ PAY_MODE: 'virtual', WELCOME_TOKENS: '3', TOKEN_PACKS: JSON.stringify([{ packId: 'p5', tokens: 5, priceFen: 50 }, { packId: 'p10', tokens: 10, priceFen: 100 }, { packId: 'p55', tokens: 55, priceFen: 500 }]) }, undefined, { quickModel: true });
});
afterAll(() => runtime?.stop());
afterEach(() => runtime.faults({ reset: true }));

async function login(openid: string): Promise<string> {
  const { json } = await runtime.post<{ code: string }>('/api/wx/login', {}, { 'X-WX-OPENID': openid });
  return json.code;
}

/** WeChat's own view of the user: balances per env, orders, token operations. */
const wechatSide = (openid: string) => runtime.get<Json>(`/api/inspect/xpay/users/${openid}`);
const balanceAtWechat = async (openid: string): Promise<number> => Number((await wechatSide(openid)).balances['0']?.balance ?? 0);

/** A logged-in user with `packId` bought and paid (and the welcome tokens). */
async function userWithTokens(packId = 'p55'): Promise<string> {
  const user = newUser();
  expect((await runtime.call('getBalance', { loginCode: await login(user) }, user)).ok).toBe(true);
  const { topUp } = await runtime.call('createTopUp', { packId }, user);
  expect(await runtime.pay(topUp.outTradeNo)).toMatchObject({ ok: true });
  await until(async () => (await runtime.call('getBalance', {}, user)).balance >= 3 + (packId === 'p55' ? 55 : 10));
  return user;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition never came true');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tokens', () => {
  test('a new user logs in and finds the welcome tokens, once', async () => {
    const user = newUser();
    expect(await runtime.call('getBalance', {}, user)).toEqual({ ok: false, error: { code: 'SESSION_EXPIRED', message: expect.any(String) } });
    expect(await runtime.call('getBalance', { loginCode: await login(user) }, user)).toEqual({ ok: true, balance: 3 });
    expect(await runtime.call('getBalance', {}, user)).toEqual({ ok: true, balance: 3 });
    expect(await balanceAtWechat(user)).toBe(3);
  });

  test('a top-up is signed from the pack, paid on WeChat’s sheet, and its bonus presented once the push confirms it', async () => {
    const user = newUser();
    await runtime.call('getBalance', { loginCode: await login(user) }, user);
    const created = await runtime.call('createTopUp', { packId: 'p55' }, user);
    expect(created.ok).toBe(true);
    expect(created.topUp.mode).toBe('short_series_coin');
    // 500 fen at 10 fen a token buys 50; the other 5 are the pack's bonus.
    expect(JSON.parse(created.topUp.signData)).toMatchObject({ buyQuantity: 50, currencyType: 'CNY', outTradeNo: created.topUp.outTradeNo });
    expect(await runtime.pay(created.topUp.outTradeNo)).toMatchObject({ ok: true });
    await until(async () => (await runtime.call('getBalance', {}, user)).balance === 3 + 55);
    const inspected = await runtime.get<Json>(`/api/inspect/xpay/orders/${created.topUp.outTradeNo}`);
    expect(inspected.view).toMatchObject({ order_fee: 500 });
  });

  test('an answer paid with tokens starts at once, with no sheet, and spends its tier’s tokens', async () => {
    const user = await userWithTokens();
    const before = await balanceAtWechat(user);
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '用一句话介绍长城' }, user);
    expect(created.ok).toBe(true);
    expect(created.payment).toBeUndefined();
    expect(created.order).toMatchObject({ payWith: 'tokens', amountTokens: 5, amountFen: 0 });
    // Paid already, no sheet: paid or generating, or (this suite's instant model) even written
    // while createOrder waited for generate to claim it.
    expect(['paid', 'generating', 'completed']).toContain(created.order.status);
    const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
    expect(done.output.length).toBeGreaterThan(0);
    expect(await balanceAtWechat(user)).toBe(before - 5);
  });

  test('the message a user subscribed to names the tokens the answer cost, and says it is AI-generated', async () => {
    const user = await userWithTokens();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '推荐一种绿茶', subscribe: true }, user);
    expect(created.order.subscribed).toBe(true);
    await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
    let messages: { touser: string; data: Record<string, { value: string }> }[] = [];
    await until(async () => {
      messages = (await runtime.get<{ messages: typeof messages }>('/api/messages')).messages.filter((m) => m.touser === user);
      return messages.length > 0;
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]?.data).toMatchObject({ thing1: { value: expect.stringMatching(/^AI生成 · /) }, thing3: { value: '5 代币' }, phrase2: { value: '已完成' } });
  });

  test('without enough tokens the answer is refused with INSUFFICIENT_BALANCE, and nothing is stored or spent', async () => {
    const user = newUser();
    await runtime.call('getBalance', { loginCode: await login(user) }, user);
    const refused = await runtime.call('createOrder', { tier: 'expert', prompt: '写一篇长文' }, user);
    expect(refused).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_BALANCE', balance: 3, priceTokens: 50 } });
    expect((await runtime.call('listOrders', {}, user)).orders).toEqual([]);
    expect(await balanceAtWechat(user)).toBe(3);
  });

  test('a failed answer gives its tokens back, exactly once', async () => {
    const user = await userWithTokens();
    const before = await balanceAtWechat(user);
    await runtime.faults({ llm: { error: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '这个会失败' }, user);
    const refunded = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'refunded', user);
    expect(refunded.error.code).toBe('GENERATION_FAILED');
    expect(await balanceAtWechat(user)).toBe(before);
    // reconcile finds nothing more to give back.
    await runtime.faults({ reset: true });
    await runtime.trigger('reconcile');
    expect(await balanceAtWechat(user)).toBe(before);
    const ops = (await wechatSide(user)).coinOps as { type: string; payOrderId?: string }[];
    expect(ops.filter((op) => op.type === 'cancel' && op.payOrderId === created.order.outTradeNo)).toHaveLength(1);
  });

  test('a spend whose answer is lost after it succeeded is asked again under the same id: one spend, one answer', async () => {
    const user = await userWithTokens();
    const before = await balanceAtWechat(user);
    await runtime.faults({ xpay: { currencyPayAnswerLost: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '丢失的回答' }, user);
    await runtime.faults({ reset: true });
    expect(created.ok).toBe(true);
    const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
    expect(done.amountTokens).toBe(5);
    expect(await balanceAtWechat(user)).toBe(before - 5);
  });

  test('an expired session key is refused with SESSION_EXPIRED, and a fresh login code goes through', async () => {
    const user = await userWithTokens();
    await runtime.faults({ xpay: { sessionExpire: 1 } });
    const refused = await runtime.call('createOrder', { tier: 'quick', prompt: '登录过期了' }, user);
    expect(refused).toMatchObject({ ok: false, error: { code: 'SESSION_EXPIRED' } });
    await runtime.faults({ reset: true });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '重新登录后' , loginCode: await login(user) }, user);
    expect(created.ok).toBe(true);
  });

  test('a login code that belongs to another user is refused', async () => {
    const user = newUser();
    const code = await login('someone-else');
    expect(await runtime.call('getBalance', { loginCode: code }, user)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});

describe('direct purchase', () => {
  test('a tier sold as an item is paid on the sheet, confirmed by the delivery push, and answered', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '买一个回答', payWith: 'purchase', loginCode: await login(user) }, user);
    expect(created.order).toMatchObject({ status: 'pending_payment', payWith: 'purchase', amountFen: 100 });
    expect(created.payment.mode).toBe('short_series_goods');
    expect(JSON.parse(created.payment.signData)).toMatchObject({ productId: 'ai_quick_answer', goodsPrice: 100, buyQuantity: 1 });
    expect(await runtime.pay(created.order.outTradeNo)).toMatchObject({ ok: true });
    await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
  });

  test('a purchase whose answer failed is refunded with refund_order, and the refund ends refunded', async () => {
    const user = newUser();
    await runtime.faults({ llm: { error: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '购买后失败', payWith: 'purchase', loginCode: await login(user) }, user);
    expect(await runtime.pay(created.order.outTradeNo)).toMatchObject({ ok: true });
    await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'refunding' || o.status === 'refunded', user);
    await runtime.faults({ reset: true });
    // Refunds end asynchronously: their push, or reconcile's query_order on the refund's own id.
    await until(async () => {
      await runtime.trigger('reconcile');
      return (await runtime.call('getOrder', { orderId: created.order.orderId }, user)).order.status === 'refunded';
    }, 15_000);
    const wechat = await runtime.get<Json>(`/api/inspect/xpay/orders/${created.order.outTradeNo}`);
    expect(wechat.refunds).toHaveLength(1);
  });

  test('a purchase whose delivery push is lost is found by reconcile’s query_order', async () => {
    const user = newUser();
    await runtime.faults({ xpay: { pushDrop: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '推送丢了', payWith: 'purchase', loginCode: await login(user) }, user);
    expect(await runtime.pay(created.order.outTradeNo)).toMatchObject({ ok: true });
    await runtime.faults({ reset: true });
    await until(async () => {
      await runtime.trigger('reconcile');
      return (await runtime.call('getOrder', { orderId: created.order.orderId }, user)).order.status !== 'pending_payment';
    }, 45_000);
    await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
  });
});

describe('iOS', () => {
  test('under ¥1 on iOS is refused before anything is signed; ¥1 and more is sold, and Apple’s sheet takes it', async () => {
    const user = newUser();
    const loginCode = await login(user);
    expect(await runtime.call('createTopUp', { packId: 'p5', platform: 'ios', loginCode }, user)).toMatchObject({ ok: false, error: { code: 'BELOW_PLATFORM_MINIMUM', minimumFen: 100 } });
    // Refused before the login code was even read: the next call brings it.
    const android = await runtime.call('createTopUp', { packId: 'p5', platform: 'android', loginCode }, user);
    expect(android.ok).toBe(true);
    const ios = await runtime.call('createTopUp', { packId: 'p10', platform: 'ios' }, user);
    expect(await runtime.post('/api/pay/simulate', { outTradeNo: ios.topUp.outTradeNo, outcome: 'success', platform: 'ios' })).toMatchObject({ json: { ok: true, sheet: { sheet: 'apple' } } });
    expect(await runtime.post('/api/pay/simulate', { outTradeNo: android.topUp.outTradeNo, outcome: 'success', platform: 'android' })).toMatchObject({ json: { ok: true, sheet: { sheet: 'wechat' } } });
    await until(async () => (await runtime.call('getBalance', {}, user)).balance === 3 + 10 + 5);
  });
});

describe('pushes', () => {
  test('pushes are internal: a mini program calling xpayNotify is FORBIDDEN', async () => {
    const answer = await runtime.post<Json>('/api/functions/xpayNotify', { data: { MsgType: 'event', Event: 'xpay_goods_deliver_notify' } }, { 'X-WX-OPENID': newUser() });
    expect(answer.json.result.error.code).toBe('FORBIDDEN');
  });

  test('a forged delivery push (another payer, another amount, the other env) changes nothing, and is acknowledged', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '伪造的推送', payWith: 'purchase', loginCode: await login(user) }, user);
    const base = {
      ToUserName: 'gh_local',
      FromUserName: 'o-wechat-official',
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'event',
      Event: 'xpay_goods_deliver_notify',
      OpenId: user,
      OutTradeNo: created.order.outTradeNo,
      Env: 0,
      WeChatPayInfo: { MchOrderNo: 'mch-1', TransactionId: '4200000000000000000000000001', PaidTime: Math.floor(Date.now() / 1000) },
      GoodsInfo: { ProductId: 'ai_quick_answer', Quantity: 1, OrigPrice: 100, ActualPrice: 100, Attach: '' },
    };
    for (const forged of [base, { ...base, OpenId: 'another-user' }, { ...base, GoodsInfo: { ...base.GoodsInfo, OrigPrice: 1, ActualPrice: 1 } }, { ...base, Env: 1 }]) {
      const answer = await runtime.post<Json>('/api/xpay/push', forged);
      expect(answer.json).toEqual({ ErrCode: 0, ErrMsg: 'success' });
    }
    expect((await runtime.call('getOrder', { orderId: created.order.orderId }, user)).order.status).toBe('pending_payment');
  });

  test('duplicated pushes start one answer and spend nothing twice', async () => {
    const user = await userWithTokens();
    await runtime.faults({ xpay: { pushDuplicate: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: '重复推送', payWith: 'purchase' }, user);
    expect(await runtime.pay(created.order.outTradeNo)).toMatchObject({ ok: true });
    await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
    const inspected = await runtime.get<Json>(`/api/inspect/orders/${created.order.outTradeNo}`);
    expect((inspected.events as { type: string }[]).filter((e) => e.type === 'payment_confirmed')).toHaveLength(1);
  });

  test('a complaint is recorded for the operator and acknowledged', async () => {
    const answer = await runtime.post<Json>('/api/xpay/push', {
      ToUserName: 'gh_local',
      FromUserName: 'o-wechat-official',
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'event',
      Event: 'xpay_complaint_notify',
      OpenId: newUser(),
      WxOrderId: 'wx-order-1',
      MchOrderId: 'AI20261207000000aaaaaaaaaaaaaaaa',
      ComplaintTime: Math.floor(Date.now() / 1000),
    });
    expect(answer.json).toEqual({ ErrCode: 0, ErrMsg: 'success' });
    await runtime.untilOutputShows('payment_complaint_needs_operator');
    expect(runtime.output).toContain('payment_complaint_needs_operator');
  });
});
