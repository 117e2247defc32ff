import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';
import { XpayTestClient } from './support/xpayEmulator';
import type { LocalXpaySecrets } from '../local/wechat/settings';
import type { Json } from './support/json';

// The emulator inside the real local runtime: WeChat's API at the runtime's own address, the
// local-only routes, the xpay fault group, and WeChat's side of the money surviving kill -9.

let runtime: LocalRuntime;
let wx: XpayTestClient;

function client(): XpayTestClient {
  const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'xpay-secrets.json'), 'utf8')) as LocalXpaySecrets;
  return new XpayTestClient(runtime.url, {
    appId: 'wx-local-app',
    appSecret: secrets.WX_APPSECRET,
    offerId: secrets.XPAY_OFFER_ID,
    appKeys: { live: secrets.XPAY_APP_KEY, sandbox: secrets.XPAY_SANDBOX_APP_KEY },
    originalId: secrets.XPAY_ORIGINAL_ID,
  });
}

beforeAll(async () => {
  runtime = await LocalRuntime.quick();
  wx = client();
});
afterAll(async () => {
  await runtime?.stop();
});

test('the xpay fault group is set, validated and reset through /api/faults', async () => {
  await runtime.faults({ xpay: { pushDrop: 0.5, pushDelayMs: [0, 10] } });
  expect((await runtime.get<Json>('/api/faults')).xpay).toMatchObject({ pushDrop: 0.5, pushDelayMs: [0, 10], refundFail: 0 });
  for (const bad of [{ xpay: { pushDrop: 2 } }, { xpay: { nonsense: 1 } }, { xpay: { pushDelayMs: [5, 1] } }, { xpay: 'on' }]) {
    expect((await runtime.post('/api/faults', bad)).status).toBe(400);
  }
  expect((await runtime.get<Json>('/api/faults')).xpay.pushDrop).toBe(0.5);
  await runtime.faults({ reset: true });
  expect((await runtime.get<Json>('/api/faults')).xpay.pushDrop).toBe(0);
});

test('a top-up through the runtime: login, code2Session, the sheet, /api/pay/simulate, the balance; a cloud-pay trade still goes to the simulator', async () => {
  const key = await wx.sessionKey('alice');
  const payment = wx.payment(key, { buyQuantity: 120, outTradeNo: 'runtime-topup-1' }, 'short_series_coin');
  // The token is published at the product's own price (core/config/packs.ts: 10 fen).
  expect((await wx.requestPayment('alice', payment)).sheet).toMatchObject({ tokens: 120, priceFen: 1200 });
  expect(await wx.simulate('runtime-topup-1')).toMatchObject({ ok: true, status: 2 });
  expect(await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).toMatchObject({ errcode: 0, balance: 120 });
  expect((await runtime.get<Json>('/api/inspect/xpay/orders/runtime-topup-1')).view).toMatchObject({ order_fee: 1200, status: expect.any(Number) });

  // PAY_MODE=simulator (the default): an answer paid through cloud pay, as before.
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: '写一首关于秋天的短诗' }, 'alice');
  expect(await runtime.pay(created.order.outTradeNo)).toMatchObject({ ok: true });
});

test('a push nobody receives is refused with 404 by /api/xpay/push', async () => {
  const answer = await runtime.post('/api/xpay/push', { ToUserName: 'gh_x', FromUserName: 'o_x', CreateTime: 1, MsgType: 'event', Event: 'local_unrouted_event' });
  expect(answer.status).toBe(404);
});

test('balances and orders survive kill -9', async () => {
  const key = await wx.sessionKey('bob');
  await wx.xpay('present_currency', { openid: 'bob', env: 0, order_id: 'welcome-bob-1', amount: 25 });
  await wx.xpay('currency_pay', { openid: 'bob', env: 0, user_ip: '127.0.0.1', amount: 5, order_id: 'bob-spend-001' }, { sessionKey: key });
  await runtime.kill();
  await runtime.restart();
  wx = client();
  const user = await runtime.get<Json>('/api/inspect/xpay/users/bob');
  expect(user.balances['0']).toMatchObject({ balance: 20, present_balance: 20, sum_cost: 5 });
  expect((await wx.xpay('currency_pay', { openid: 'bob', env: 0, user_ip: '127.0.0.1', amount: 5, order_id: 'bob-spend-001' }, { sessionKey: key })).errcode).toBe(268490004);
});
