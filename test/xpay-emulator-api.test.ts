import { XpayTestClient, startEmulator, type EmulatorHarness } from './support/xpayEmulator';

// WeChat's server API as the functions will call it, over HTTP against the emulator: credentials,
// signatures, token accounts per openid and env, idempotency by order_id and the error codes.

let h: EmulatorHarness;
let wx: XpayTestClient;

beforeEach(async () => {
  h = await startEmulator();
  wx = new XpayTestClient(h.url);
});
afterEach(async () => {
  await h.close();
});

const HOUR = 3600_000;

describe('stable_token', () => {
  test('answers the same token while it is valid, a new one in its last 5 minutes, and refuses wrong credentials', async () => {
    const first = await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: wx.account.appId, secret: wx.account.appSecret });
    expect(first.expires_in).toBe(7200);
    h.clock.advance(HOUR);
    const again = await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: wx.account.appId, secret: wx.account.appSecret });
    expect(again.access_token).toBe(first.access_token);
    expect(again.expires_in).toBe(3600);
    h.clock.advance(HOUR - 4 * 60_000);
    const renewed = await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: wx.account.appId, secret: wx.account.appSecret });
    expect(renewed.access_token).not.toBe(first.access_token);
    // The old one still works until its own end.
    expect((await wx.xpay('query_order', { openid: 'nobody', env: 0, order_id: 'missing-order-1' }, { token: first.access_token })).errcode).toBe(268490002);

    expect((await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wx-other', secret: wx.account.appSecret })).errcode).toBe(40013);
    expect((await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: wx.account.appId, secret: 'wrong' })).errcode).toBe(40125);
    expect((await wx.post('/cgi-bin/stable_token', { grant_type: 'password', appid: wx.account.appId, secret: wx.account.appSecret })).errcode).toBe(40002);
    expect((await wx.post('/cgi-bin/stable_token', { grant_type: 'client_credential', secret: wx.account.appSecret })).errcode).toBe(41002);
    expect(((await (await fetch(`${h.url}/cgi-bin/stable_token`)).json()) as { errcode: number }).errcode).toBe(43002);
  });

  test('force_refresh revokes every earlier token (40001) but not twice within 30 s; a token past its end is 42001', async () => {
    const old = await wx.accessToken();
    const fresh = await wx.accessToken(true);
    expect(fresh).not.toBe(old);
    const probe = { openid: 'nobody', env: 0, order_id: 'missing-order-1' };
    expect((await wx.xpay('query_order', probe, { token: old })).errcode).toBe(40001);
    expect(await wx.accessToken(true)).toBe(fresh);
    h.clock.advance(2 * HOUR);
    expect((await wx.xpay('query_order', probe, { token: fresh })).errcode).toBe(42001);
    expect((await wx.xpay('query_order', probe, { token: '' })).errcode).toBe(41001);
    expect((await wx.xpay('query_order', probe, { token: 'has spaces!' })).errcode).toBe(40014);
  });
});

describe('login and code2Session', () => {
  test('a code gives the openid and session key once, within 5 minutes; a later login replaces the key', async () => {
    const code = await wx.login('alice');
    const first = await wx.code2Session(code);
    expect(first.openid).toBe('alice');
    expect(Buffer.from(first.session_key, 'base64')).toHaveLength(16);
    expect((await wx.code2Session(code)).errcode).toBe(40163);
    expect((await wx.code2Session('never-issued')).errcode).toBe(40029);
    expect((await wx.code2Session(await wx.login('alice'), { secret: 'wrong' })).errcode).toBe(40125);
    const late = await wx.login('alice');
    h.clock.advance(5 * 60_000 + 1);
    expect((await wx.code2Session(late)).errcode).toBe(40029);
    const second = await wx.code2Session(await wx.login('alice'));
    expect(second.session_key).not.toBe(first.session_key);

    // The replaced key is expired for WeChat (268490009); a key that never was hers is a bad signature.
    const body = { openid: 'alice', env: 0, user_ip: '127.0.0.1' };
    expect((await wx.xpay('query_user_balance', body, { sessionKey: first.session_key })).errcode).toBe(268490009);
    expect((await wx.xpay('query_user_balance', body, { sessionKey: 'AAAAAAAAAAAAAAAAAAAAAA==' })).errcode).toBe(268490003);
    expect((await wx.xpay('query_user_balance', body, { sessionKey: second.session_key })).errcode).toBe(0);
    expect((await wx.xpay('query_user_balance', { openid: 'bob', env: 0, user_ip: '127.0.0.1' }, { sessionKey: second.session_key })).errcode).toBe(268490009);
  });

  test('a session key unused for the idle period expires', async () => {
    const key = await wx.sessionKey('alice');
    h.clock.advance(3 * 24 * HOUR + 1);
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).errcode).toBe(268490009);
  });
});

describe('signatures on /xpay/', () => {
  test('pay_sig is checked with the AppKey of the env in the body, over the exact bytes sent', async () => {
    const key = await wx.sessionKey('alice');
    const body = { openid: 'alice', env: 1, user_ip: '127.0.0.1' };
    expect((await wx.xpay('query_user_balance', body, { sessionKey: key })).errcode).toBe(0);
    expect((await wx.xpay('query_user_balance', body, { sessionKey: key, appKey: wx.account.appKeys.live })).errcode).toBe(268490003);
    // Signed with spaces, sent without: not the same bytes.
    const signed = '{"openid": "alice", "env": 0, "user_ip": "127.0.0.1"}';
    const token = await wx.accessToken();
    const { paySignature, userSignature } = await import('../local/wechat/sign');
    const query = new URLSearchParams({ access_token: token, pay_sig: paySignature(wx.account.appKeys.live, '/xpay/query_user_balance', signed), signature: userSignature(key, signed) });
    expect((await wx.post(`/xpay/query_user_balance?${query.toString()}`, signed)).errcode).toBe(0);
    expect((await wx.post(`/xpay/query_user_balance?${query.toString()}`, JSON.stringify(JSON.parse(signed)))).errcode).toBe(268490003);
    // The user signature is required where WeChat requires it.
    expect((await wx.xpay('query_user_balance', body)).errcode).toBe(268490003);
    expect((await wx.xpay('query_user_balance', { env: 0, user_ip: '1.1.1.1' }, { sessionKey: key })).errcode).toBe(268490001);
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 2, user_ip: '1.1.1.1' }, { sessionKey: key })).errcode).toBe(268490002);
  });
});

describe('token accounts', () => {
  test('present, spend and give back, per openid and env; used_present_amount and the sums', async () => {
    const key = await wx.sessionKey('alice');
    const balance = async (env: 0 | 1) => wx.xpay('query_user_balance', { openid: 'alice', env, user_ip: '127.0.0.1' }, { sessionKey: key });
    expect(await balance(0)).toMatchObject({ errcode: 0, balance: 0, present_balance: 0, first_save_flag: true });

    const present = await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 30 });
    expect(present).toMatchObject({ errcode: 0, balance: 30, order_id: 'welcome-alice', present_balance: 30 });
    expect((await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 30 })).errcode).toBe(268490004);
    expect((await balance(0)).balance).toBe(30);
    expect((await balance(1)).balance).toBe(0);

    const spend = { openid: 'alice', env: 0, user_ip: '127.0.0.1', amount: 20, order_id: 'spend-order-1', payitem: '[{"productid":"quick","unit_price":20,"quantity":1}]', remark: 'answer' };
    expect((await wx.xpay('currency_pay', { ...spend, amount: 31, order_id: 'spend-too-much' }, { sessionKey: key })).errcode).toBe(268490006);
    expect(await wx.xpay('currency_pay', spend, { sessionKey: key })).toMatchObject({ errcode: 0, order_id: 'spend-order-1', balance: 10, used_present_amount: 20 });
    expect((await wx.xpay('currency_pay', spend, { sessionKey: key })).errcode).toBe(268490004);
    expect((await balance(0)).balance).toBe(10);

    const cancel = { openid: 'alice', env: 0, user_ip: '127.0.0.1', pay_order_id: 'spend-order-1', order_id: 'cancel-order-1', amount: 5 };
    expect((await wx.xpay('cancel_currency_pay', { ...cancel, pay_order_id: 'never-spent' }, { sessionKey: key })).errmsg).toMatch(/^请求参数字段错误: 数据不存在 rid: /);
    expect((await wx.xpay('cancel_currency_pay', { ...cancel, amount: 21 }, { sessionKey: key })).errcode).toBe(268490006);
    expect(await wx.xpay('cancel_currency_pay', cancel, { sessionKey: key })).toMatchObject({ errcode: 0, order_id: 'cancel-order-1' });
    expect((await wx.xpay('cancel_currency_pay', cancel, { sessionKey: key })).errcode).toBe(268490004);
    expect((await wx.xpay('cancel_currency_pay', { ...cancel, order_id: 'cancel-order-2', amount: 15 }, { sessionKey: key })).errcode).toBe(0);
    expect((await wx.xpay('cancel_currency_pay', { ...cancel, order_id: 'cancel-order-3', amount: 1 }, { sessionKey: key })).errcode).toBe(268490005);
    expect(await balance(0)).toMatchObject({ balance: 30, present_balance: 30, sum_present: 30, sum_save: 0, sum_cost: 0 });

    // Another user cannot give back or spend from alice's operations.
    const bobKey = await wx.sessionKey('bob');
    expect((await wx.xpay('cancel_currency_pay', { ...cancel, openid: 'bob', order_id: 'cancel-by-bob' }, { sessionKey: bobKey })).errcode).toBe(268490002);
  });

  test('concurrent spends never take a token twice or go below zero', async () => {
    const key = await wx.sessionKey('alice');
    await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 10 });
    const spend = (orderId: string) => wx.xpay('currency_pay', { openid: 'alice', env: 0, user_ip: '127.0.0.1', amount: 3, order_id: orderId }, { sessionKey: key });
    // The same order_id five times at once: one spend.
    const same = await Promise.all(Array.from({ length: 5 }, () => spend('same-order-id')));
    expect(same.filter((a) => a.errcode === 0)).toHaveLength(1);
    expect(same.filter((a) => a.errcode === 268490004)).toHaveLength(4);
    // Eight different spends of 3 against the 7 left: two succeed, the rest find too few tokens.
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => spend(`many-order-${i}`)));
    expect(many.filter((a) => a.errcode === 0)).toHaveLength(2);
    expect(many.filter((a) => a.errcode === 268490006)).toHaveLength(6);
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).balance).toBe(1);
  });

  test('bad input gets 268490002 and changes nothing', async () => {
    const key = await wx.sessionKey('alice');
    await wx.xpay('present_currency', { openid: 'alice', env: 0, order_id: 'welcome-alice', amount: 10 });
    const base = { openid: 'alice', env: 0, user_ip: '127.0.0.1', amount: 1, order_id: 'spend-order-2' };
    for (const bad of [{ amount: 0 }, { amount: 1.5 }, { amount: '1' }, { order_id: 'short' }, { order_id: 'has space in it' }, { user_ip: '' }, { device_type: 3 }]) {
      expect((await wx.xpay('currency_pay', { ...base, ...bad }, { sessionKey: key })).errcode).toBe(268490002);
    }
    expect((await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key })).balance).toBe(10);
    expect((await wx.xpay('no_such_api', { env: 0 })).errcode).toBe(268490002);
  });

  test('a top-up paid through the sheet adds tokens; query_order sees it, not token spends', async () => {
    const key = await wx.sessionKey('alice');
    const topUp = wx.payment(key, { buyQuantity: 300, outTradeNo: 'topup-order-1' }, 'short_series_coin');
    const opened = await wx.requestPayment('alice', topUp);
    expect(opened.sheet).toMatchObject({ mode: 'short_series_coin', tokens: 300, priceFen: 300, sheet: 'wechat' });
    h.setReceiver('xpayNotify', () => ({ ErrCode: 0, ErrMsg: 'success' }));
    expect(await wx.simulate('topup-order-1')).toMatchObject({ ok: true, errMsg: 'requestVirtualPayment:ok', status: 2 });
    const balance = await wx.xpay('query_user_balance', { openid: 'alice', env: 0, user_ip: '127.0.0.1' }, { sessionKey: key });
    expect(balance).toMatchObject({ balance: 300, sum_save: 300, first_save_flag: false });
    const order = (await wx.xpay('query_order', { openid: 'alice', env: 0, order_id: 'topup-order-1' })).order;
    expect(order).toMatchObject({ order_id: 'topup-order-1', order_type: 0, order_fee: 300, paid_fee: 300, left_fee: 300, env_type: 1 });
    expect(order.wx_order_id).toEqual(expect.any(String));
    expect(await wx.xpay('query_order', { openid: 'alice', env: 0, wx_order_id: order.wx_order_id })).toMatchObject({ order: { order_id: 'topup-order-1' } });
    expect((await wx.xpay('query_order', { openid: 'alice', env: 1, order_id: 'topup-order-1' })).errcode).toBe(268490002);
    expect((await wx.xpay('query_order', { openid: 'bob', env: 0, order_id: 'topup-order-1' })).errcode).toBe(268490002);
    await wx.xpay('currency_pay', { openid: 'alice', env: 0, user_ip: '127.0.0.1', amount: 5, order_id: 'spend-order-3' }, { sessionKey: key });
    expect((await wx.xpay('query_order', { openid: 'alice', env: 0, order_id: 'spend-order-3' })).errcode).toBe(268490002);
  });

  test('download_bill is generated on the first call (268490011) and has an address on the next', async () => {
    expect((await wx.xpay('download_bill', { begin_ds: 20300101, end_ds: 20300102 })).errcode).toBe(268490011);
    const ready = await wx.xpay('download_bill', { begin_ds: 20300101, end_ds: 20300102 });
    expect(ready.url).toBe(`${h.url}/api/inspect/xpay/bills/20300101-20300102`);
    expect(await (await fetch(ready.url)).text()).toMatch(/^order_id,wx_order_id,order_type/);
    expect((await wx.xpay('download_bill', { begin_ds: 20300105, end_ds: 20300101 })).errcode).toBe(268490002);
  });
});
