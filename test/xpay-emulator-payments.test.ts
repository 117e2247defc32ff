import { MAX_ATTEMPTS } from '../local/wechat/pushes';
import { XpayTestClient, startEmulator, until, type EmulatorHarness } from './support/xpayEmulator';
import type { Json } from './support/json';

// The client side of paying (wx.requestVirtualPayment, the sheet), the pushes WeChat sends to the
// function message push routes them to, refunds, and the xpay faults.

let h: EmulatorHarness;
let wx: XpayTestClient;
const ACK = { ErrCode: 0, ErrMsg: 'success' };

beforeEach(async () => {
  h = await startEmulator();
  wx = new XpayTestClient(h.url);
});
afterEach(async () => {
  await h.close();
});

const order = async (id: string, openid = 'alice', env = 0): Promise<Json> => (await wx.xpay('query_order', { openid, env, order_id: id })).order;
const pushesOf = (event: string) => h.received.filter((r) => r.event.Event === event);

describe('wx.requestVirtualPayment', () => {
  test('an item bought on Android: the sheet, the push with WeChat\'s fields as the function sees it, delivered once acknowledged', async () => {
    h.setReceiver('xpayNotify', () => ACK);
    const key = await wx.sessionKey('alice');
    const payment = wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-01', attach: 'order:abc' });
    const opened = await wx.requestPayment('alice', payment);
    expect(opened).toEqual({ ok: true, sheet: { outTradeNo: 'item-order-01', mode: 'short_series_goods', env: 0, platform: 'android', sheet: 'wechat', priceFen: 50, quantity: 1, productId: 'quick' } });
    expect((await order('item-order-01')).status).toBe(1);
    expect(await wx.simulate('item-order-01')).toMatchObject({ ok: true, status: 2 });
    await until(async () => (await order('item-order-01')).status === 4);
    const paid = await order('item-order-01');
    expect(paid).toMatchObject({ status: 4, order_fee: 50, paid_fee: 50, left_fee: 50, biz_meta: 'order:abc' });
    expect(paid.provide_time).toBeGreaterThanOrEqual(paid.paid_time);
    const [delivery] = pushesOf('xpay_goods_deliver_notify');
    expect(delivery?.name).toBe('xpayNotify');
    expect(delivery?.event).toEqual({
      ToUserName: 'gh_0123456789ab',
      FromUserName: expect.stringMatching(/^o[\w-]{27}$/),
      CreateTime: expect.any(Number),
      MsgType: 'event',
      Event: 'xpay_goods_deliver_notify',
      OpenId: 'alice',
      OutTradeNo: 'item-order-01',
      Env: 0,
      WeChatPayInfo: { MchOrderNo: paid.channel_order_id, TransactionId: paid.wxpay_order_id, PaidTime: paid.paid_time },
      GoodsInfo: { ProductId: 'quick', Quantity: 1, OrigPrice: 50, ActualPrice: 50, Attach: 'order:abc' },
    });
    // getWXContext of a push: OPENID is the sender (WeChat's official openid), not the buyer; SOURCE is not a trusted platform source.
    expect(delivery?.caller).toEqual({ source: 'wx_unknown', openid: delivery?.event.FromUserName, appid: 'wx-test-app' });
    expect(delivery?.caller.openid).not.toBe('alice');
  });

  test('each documented refusal, and nothing is created by a refused request', async () => {
    const key = await wx.sessionKey('alice');
    const goods = (fields: Record<string, unknown> = {}) => wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-02', ...fields });
    const fails = async (payment: Record<string, unknown>, code: number, platform?: string) => expect((await wx.requestPayment('alice', payment, platform)).errCode).toBe(code);

    await fails({ ...goods(), signature: undefined }, 1001);
    await fails({ ...goods(), mode: 'subscription' }, -15001);
    await fails({ ...goods(), signData: 'not json' }, -15016);
    await fails(wx.payment(key, { productId: 'quick', goodsPrice: '50', outTradeNo: 'item-order-02' }), -15016);
    await fails(goods({ offerId: '123' }), -15001);
    await fails(goods({ currencyType: 'USD' }), -15004);
    await fails(goods({ outTradeNo: '_starts-with-underscore' }), -15001);
    await fails(goods({ outTradeNo: 'short' }), -15001);
    await fails({ ...goods(), paySig: goods({ attach: 'other' }).paySig }, -15006);
    await fails(wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-02' }, 'short_series_goods', wx.account.appKeys.sandbox), -15006);
    await fails({ ...goods(), signature: wx.payment('AAAAAAAAAAAAAAAAAAAAAA==', {}).signature }, -15005);
    await fails(goods({ productId: 'unpublished' }), -15010);
    await fails(goods({ goodsPrice: 49 }), -15013);
    await fails(goods({ activitySellingPrice: 60 }), -15001);
    h.catalogue.tokenPriceFen = null;
    await fails(wx.payment(key, { buyQuantity: 10, outTradeNo: 'topup-order-02' }, 'short_series_coin'), -15009);
    expect((await wx.get('/api/inspect/xpay/users/alice')).orders).toEqual([]);

    // A later login replaced the key the server signed with: -15007 (the server must log the user in again).
    await wx.login('alice');
    await fails(goods(), -15007);
    const fresh = await wx.sessionKey('alice');
    expect((await wx.requestPayment('alice', wx.payment(fresh, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-02' }))).ok).toBe(true);
    // An outTradeNo works once.
    expect((await wx.requestPayment('alice', wx.payment(fresh, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-02' }))).errCode).toBe(-15002);
    // Signed by alice's key, asked for by bob: bob's session does not verify it.
    expect((await wx.requestPayment('bob', wx.payment(fresh, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-03' }))).errCode).toBe(-15007);
  });

  test('iOS: at least ¥1, never the sandbox, and only when iOS payment is opened', async () => {
    const key = await wx.sessionKey('alice');
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'ios-order-01' }), 'ios')).errCode).toBe(-15001);
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'ios_item', goodsPrice: 100, outTradeNo: 'ios-order-02', env: 1 }), 'ios')).errMsg).toBe('requestVirtualPayment:fail PAYMENT_ILLEGAL_IN_SANDBOX');
    const ok = await wx.requestPayment('alice', wx.payment(key, { productId: 'ios_item', goodsPrice: 100, outTradeNo: 'ios-order-03' }), 'ios');
    expect(ok.sheet).toMatchObject({ sheet: 'apple', platform: 'ios', priceFen: 100 });
    // The same small item on Android, and the sandbox there, are fine.
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'android-order-1', env: 1 }))).ok).toBe(true);
    await wx.post('/api/xpay/settings', { iosEnabled: false });
    const off = await wx.requestPayment('alice', wx.payment(key, { productId: 'ios_item', goodsPrice: 100, outTradeNo: 'ios-order-04' }), 'ios');
    expect(off).toMatchObject({ errCode: -15001, errMsg: expect.stringContaining('INVALID_PLATFORM') });
  });

  test('cancel (-2) and failure (-1) close the order: its outTradeNo cannot be paid or opened again', async () => {
    const key = await wx.sessionKey('alice');
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-04' }));
    expect(await wx.simulate('item-order-04', 'cancel')).toMatchObject({ ok: false, errCode: -2, errMsg: 'requestVirtualPayment:fail cancel' });
    expect((await order('item-order-04')).status).toBe(6);
    expect((await wx.simulate('item-order-04')).ok).toBe(false);
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-04' }))).errCode).toBe(-15002);
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-05' }));
    expect(await wx.simulate('item-order-05', 'fail')).toMatchObject({ ok: false, errCode: -1 });
    expect(h.received).toEqual([]);
  });

  test('an order never opened is opened with the parameters the server issued, by the user whose key signed them', async () => {
    h.setReceiver('xpayNotify', () => ACK);
    const key = await wx.sessionKey('carol');
    h.issued.set('topup-order-05', wx.payment(key, { buyQuantity: 500, outTradeNo: 'topup-order-05' }, 'short_series_coin'));
    expect(await wx.simulate('topup-order-05')).toMatchObject({ ok: true, sheet: { tokens: 500, priceFen: 500 } });
    expect((await wx.get('/api/inspect/xpay/users/carol')).balances['0'].balance).toBe(500);
    await until(() => pushesOf('xpay_coin_pay_notify').length === 1);
    expect(pushesOf('xpay_coin_pay_notify')[0]?.event).toMatchObject({ OpenId: 'carol', OutTradeNo: 'topup-order-05', Env: 0, CoinInfo: { Quantity: 500, OrigPrice: 500, ActualPrice: 500, Attach: 'test' } });
    // iOS as the sheet's platform when the emulator opens it: a top-up of ¥0.50 is refused there.
    h.issued.set('topup-order-06', wx.payment(key, { buyQuantity: 50, outTradeNo: 'topup-order-06' }, 'short_series_coin'));
    expect((await wx.simulate('topup-order-06', 'success', 'ios')).errCode).toBe(-15001);
    expect((await wx.post('/api/pay/simulate', { outTradeNo: 'nobody-knows-it', outcome: 'success' })).errMsg).toBe('not a virtual payment');
  });
});

describe('pushes', () => {
  test('a push is sent again until acknowledged, 15 tries at most; empty and "success" answers acknowledge', async () => {
    let refusals = 3;
    h.setReceiver('xpayNotify', () => (refusals-- > 0 ? { ErrCode: 1, ErrMsg: 'busy' } : ACK));
    const key = await wx.sessionKey('alice');
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-06' }));
    await wx.simulate('item-order-06');
    await until(async () => (await order('item-order-06')).status === 4);
    expect(pushesOf('xpay_goods_deliver_notify')).toHaveLength(4);

    // A function that never acknowledges: 15 attempts, then WeChat gives up and the order stays paid, undelivered.
    // (Intervals 2 4 8 … units: without compressing them to nothing the 15 tries take 33 s even at 1 ms a unit.)
    await wx.post('/api/xpay/settings', { pushRetryUnitMs: 0 });
    h.setReceiver('xpayNotify', () => ({ ErrCode: 500 }));
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-07' }));
    await wx.simulate('item-order-07');
    await until(async () => (await wx.get('/api/inspect/xpay/orders/item-order-07')).pushes[0]?.status === 'failed');
    const failed = (await wx.get('/api/inspect/xpay/orders/item-order-07')).pushes[0];
    expect(failed).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastReply: '{"ErrCode":500}' });
    expect((await order('item-order-07')).status).toBe(2);
    // notify_provide_goods marks it delivered by hand ("异常情况推送不成功时手动将单改成已发货状态").
    expect((await wx.xpay('notify_provide_goods', { order_id: 'item-order-07', env: 0 })).errcode).toBe(0);
    expect((await order('item-order-07')).status).toBe(4);

    // Empty and "success" answers are acknowledgements too ("相应内容为空 或者success，表示成功").
    h.setReceiver('xpayNotify', () => 'success');
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-08' }));
    await wx.simulate('item-order-08');
    await until(async () => (await order('item-order-08')).status === 4);
  });

  test('faults: duplicated pushes are all sent (and the order delivered once), a dropped push is never sent', async () => {
    h.setReceiver('xpayNotify', () => ACK);
    h.setFaults({ pushDuplicate: 1 });
    const key = await wx.sessionKey('alice');
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-09' }));
    await wx.simulate('item-order-09');
    await until(async () => (await wx.get('/api/inspect/xpay/orders/item-order-09')).pushes[0]?.copies + 1 === pushesOf('xpay_goods_deliver_notify').length);
    expect(pushesOf('xpay_goods_deliver_notify').length).toBeGreaterThanOrEqual(2);
    expect((await order('item-order-09')).status).toBe(4);

    h.setFaults({ pushDrop: 1 });
    h.received.length = 0;
    await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-10' }));
    await wx.simulate('item-order-10');
    expect((await wx.get('/api/inspect/xpay/orders/item-order-10')).pushes[0]).toMatchObject({ status: 'dropped', attempts: 0 });
    expect(h.received).toEqual([]);
    expect((await order('item-order-10')).status).toBe(2);
  });

  test('/api/xpay/push delivers another implementation\'s push through message push and answers the function\'s reply', async () => {
    h.setReceiver('xpayNotify', (event) => ({ ErrCode: event.OutTradeNo === 'known' ? 0 : 1, ErrMsg: 'checked' }));
    const event = { ToUserName: 'gh_x', FromUserName: 'o_official', CreateTime: 1, MsgType: 'event', Event: 'xpay_goods_deliver_notify', OpenId: 'alice', OutTradeNo: 'known', Env: 0 };
    expect(await wx.post('/api/xpay/push', event)).toEqual({ ErrCode: 0, ErrMsg: 'checked' });
    expect(await wx.post('/api/xpay/push', { ...event, OutTradeNo: 'unknown' })).toEqual({ ErrCode: 1, ErrMsg: 'checked' });
    expect(h.received.map((r) => r.caller.source)).toEqual(['wx_unknown', 'wx_unknown']);
    const unrouted = await fetch(`${h.url}/api/xpay/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...event, Event: 'xpay_subscribe_pay_fail_notify' }) });
    expect(unrouted.status).toBe(404);
  });
});

describe('refunds', () => {
  async function paidItem(outTradeNo: string): Promise<void> {
    h.setReceiver('xpayNotify', () => ACK);
    const key = await wx.sessionKey('alice');
    await wx.requestPayment('alice', wx.payment(key, { productId: 'expert', goodsPrice: 499, outTradeNo }));
    await wx.simulate(outTradeNo);
    await until(async () => (await order(outTradeNo)).status === 4);
  }
  const refund = (outTradeNo: string, fields: Record<string, unknown> = {}) =>
    wx.xpay('refund_order', { openid: 'alice', order_id: outTradeNo, refund_order_id: `R${outTradeNo}`, left_fee: 499, refund_fee: 499, biz_meta: '', refund_reason: '1', req_from: '3', env: 0, ...fields });

  test('refund_order only starts a refund: the refund order ends refunded a moment later, then xpay_refund_notify', async () => {
    await paidItem('refund-order-1');
    let refusals = 1;
    h.setReceiver('xpayNotify', (event) => (event.Event === 'xpay_refund_notify' && refusals-- > 0 ? { ErrCode: 1 } : ACK));
    expect((await refund('refund-order-1', { left_fee: 400 })).errcode).toBe(268490016);
    expect((await refund('refund-order-1', { refund_fee: 500 })).errcode).toBe(268490002);
    const started = await refund('refund-order-1');
    expect(started).toMatchObject({ errcode: 0, refund_order_id: 'Rrefund-order-1', pay_order_id: 'refund-order-1', refund_wx_order_id: expect.any(String) });
    await until(async () => (await order('Rrefund-order-1')).status === 5);
    expect(await order('Rrefund-order-1')).toMatchObject({ order_type: 1, refund_fee: 499, status: 5 });
    expect(await order('refund-order-1')).toMatchObject({ status: 5, left_fee: 0 });
    await until(() => pushesOf('xpay_refund_notify').length === 2);
    expect(pushesOf('xpay_refund_notify')[0]?.event).toMatchObject({ MchRefundId: 'Rrefund-order-1', MchOrderId: 'refund-order-1', RefundFee: 499, RetCode: 0, RetryTimes: 0, OpenId: 'alice' });
    // The refused push came again, counting its retries ("RetryTimes 重试次数，从0开始").
    expect(pushesOf('xpay_refund_notify')[1]?.event.RetryTimes).toBe(1);
    expect(pushesOf('xpay_refund_notify')[0]?.event).not.toHaveProperty('Env');
    // The same refund asked again: the same answer, no second refund; another one: nothing left.
    expect((await refund('refund-order-1')).refund_order_id).toBe('Rrefund-order-1');
    expect((await refund('refund-order-1', { refund_order_id: 'Rrefund-order-1-b', left_fee: 0, refund_fee: 1 })).errcode).toBe(268490002);
  });

  test('a refund in progress answers 268490014 to the same request; the refundFail fault ends it 7 with RetCode ≠ 0 and the money refundable again', async () => {
    await paidItem('refund-order-2');
    await wx.post('/api/xpay/settings', { refundSettleMs: 200 });
    h.setFaults({ refundFail: 1 });
    expect((await refund('refund-order-2')).errcode).toBe(0);
    expect((await refund('refund-order-2')).errcode).toBe(268490014);
    await until(async () => (await order('Rrefund-order-2')).status === 7);
    await until(() => pushesOf('xpay_refund_notify').length === 1);
    expect(pushesOf('xpay_refund_notify')[0]?.event).toMatchObject({ RetCode: -1, RetMsg: expect.any(String), RefundSuccTimestamp: 0 });
    expect(await order('refund-order-2')).toMatchObject({ status: 4, left_fee: 499 });
    h.setFaults({});
    expect((await refund('refund-order-2', { refund_order_id: 'Rrefund-order-2-again' })).errcode).toBe(0);
    await until(async () => (await order('Rrefund-order-2-again')).status === 5);
  });

  test('two refunds of the whole order at once: one starts, the other finds nothing left (268490016)', async () => {
    await paidItem('refund-order-3');
    const answers = await Promise.all([refund('refund-order-3', { refund_order_id: 'Rrefund-order-3-a' }), refund('refund-order-3', { refund_order_id: 'Rrefund-order-3-b' })]);
    expect(answers.map((a) => a.errcode).sort()).toEqual([0, 268490016]);
    await until(async () => (await order('refund-order-3')).status === 5);
    expect((await wx.get('/api/inspect/xpay/orders/refund-order-3')).refunds).toHaveLength(1);
  });

  test('a refunded top-up keeps its tokens (WeChat does not take them back)', async () => {
    h.setReceiver('xpayNotify', () => ACK);
    const key = await wx.sessionKey('alice');
    await wx.requestPayment('alice', wx.payment(key, { buyQuantity: 200, outTradeNo: 'topup-order-7' }, 'short_series_coin'));
    await wx.simulate('topup-order-7');
    expect((await refund('topup-order-7', { left_fee: 200, refund_fee: 200 })).errcode).toBe(0);
    await until(async () => (await order('topup-order-7')).status === 5);
    expect((await wx.get('/api/inspect/xpay/users/alice')).balances['0'].balance).toBe(200);
  });
});

describe('faults', () => {
  test('a currency_pay whose answer is lost after it succeeded: the retry with the same order_id answers 268490004', async () => {
    const key = await wx.sessionKey('alice');
    await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 10 });
    h.setFaults({ currencyPayAnswerLost: 1 });
    const spend = { openid: 'alice', env: 0, user_ip: '127.0.0.1', amount: 4, order_id: 'spend-order-9' };
    await expect(wx.xpay('currency_pay', spend, { sessionKey: key })).rejects.toThrow();
    h.setFaults({});
    expect((await wx.xpay('currency_pay', spend, { sessionKey: key })).errcode).toBe(268490004);
    expect((await wx.get('/api/inspect/xpay/users/alice')).balances['0'].balance).toBe(6);
  });

  test('system errors change nothing; an expired session key and an early-expired token are recovered by login and stable_token', async () => {
    const key = await wx.sessionKey('alice');
    h.setFaults({ systemError: 1 });
    expect((await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 10 })).errcode).toBe(-1);
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-11' }))).errCode).toBe(-15003);
    h.setFaults({});
    expect((await wx.get('/api/inspect/xpay/users/alice')).balances['0'].balance).toBe(0);
    expect((await wx.get('/api/inspect/xpay/users/alice')).orders).toEqual([]);

    h.setFaults({ sessionExpire: 1 });
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).errcode).toBe(268490009);
    h.setFaults({});
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).errcode).toBe(268490009);
    expect((await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-12' }))).errCode).toBe(-15007);
    const fresh = await wx.sessionKey('alice');
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: fresh })).errcode).toBe(0);

    const token = await wx.accessToken();
    h.setFaults({ tokenExpireEarly: 1 });
    expect((await wx.xpay('query_order', { openid: 'alice', env: 0, order_id: 'missing-order' }, { token })).errcode).toBe(42001);
    h.setFaults({});
    expect((await wx.xpay('query_order', { openid: 'alice', env: 0, order_id: 'missing-order' }, { token })).errcode).toBe(42001);
    const renewed = await wx.accessToken();
    expect(renewed).not.toBe(token);
    expect((await wx.xpay('query_order', { openid: 'alice', env: 0, order_id: 'missing-order' }, { token: renewed })).errcode).toBe(268490002);
  });
});

test('WeChat\'s side survives a restart: accounts, orders and a push still unacknowledged', async () => {
  h.setReceiver('xpayNotify', () => ({ ErrCode: 1 }));
  await wx.post('/api/xpay/settings', { pushRetryUnitMs: 60_000 });
  const key = await wx.sessionKey('alice');
  await wx.xpay('present_currency', { openid: 'alice', env: 1, order_id: 'welcome-alice', amount: 7 });
  await wx.requestPayment('alice', wx.payment(key, { productId: 'quick', goodsPrice: 50, outTradeNo: 'item-order-13' }));
  await wx.simulate('item-order-13');
  await until(() => pushesOf('xpay_goods_deliver_notify').length === 1);
  await h.close();

  h = await startEmulator({ dataDir: h.dataDir, clock: h.clock });
  wx = new XpayTestClient(h.url);
  h.setReceiver('xpayNotify', () => ACK);
  await until(async () => (await order('item-order-13')).status === 4);
  expect(pushesOf('xpay_goods_deliver_notify')).toHaveLength(1);
  const user = await wx.get('/api/inspect/xpay/users/alice');
  expect(user.balances['1'].balance).toBe(7);
  expect(user.session.loggedIn).toBe(true);
  // The key issued before the restart still signs.
  expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 1, user_ip: '127.0.0.1' }, { sessionKey: key })).balance).toBe(7);
});
