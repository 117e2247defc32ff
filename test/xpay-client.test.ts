import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatApiClient, WechatApiError, WechatRequestError, WechatTransportError } from '../core/platform/wechatApi';
import {
  isAlreadyRefunded,
  isInsufficientBalance,
  isInvalidRequest,
  isOutcomeUnknown,
  isRepeatedOperation,
  isSessionExpired,
  isSignatureError,
  isTokenReturnDone,
  readXpaySettings,
  refundProgressOf,
  XpayClient,
  XpayConfigError,
  type XpaySettings,
} from '../core/payments/virtual/xpay';

/**
 * The functions' side of WeChat's server APIs, against a loopback server that records what arrives
 * and answers what each test scripts. Every signature is recomputed here with node:crypto from the
 * formula WeChat publishes (virtual-payment.html, "2.4 签名详解"), not with the code under test.
 */

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The body exactly as it arrived. */
  body: string;
}

type Answer = { status?: number; json?: unknown; raw?: string; hang?: boolean };
type Handler = (request: Recorded) => Answer | Promise<Answer>;

class FakeWechat {
  readonly requests: Recorded[] = [];
  private readonly handlers = new Map<string, Handler>();
  private server: Server | undefined;
  private readonly hanging: ServerResponse[] = [];
  url = '';

  on(path: string, handler: Handler): void {
    this.handlers.set(path, handler);
  }

  to(path: string): Recorded[] {
    return this.requests.filter((request) => request.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://loopback');
    const recorded: Recorded = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(recorded);
    const handler = this.handlers.get(url.pathname);
    const answer: Answer = handler ? await handler(recorded) : { json: { errcode: 404, errmsg: 'no handler' } };
    if (answer.hang) {
      this.hanging.push(res);
      return;
    }
    res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' });
    res.end(answer.raw ?? JSON.stringify(answer.json ?? {}));
  }
}

const hmac = (key: string, message: string) => createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');
const LIVE_KEY = 'live-app-key';
const SANDBOX_KEY = 'sandbox-app-key';
const SESSION_KEY = 'c2Vzc2lvbi1rZXktMTIzNA==';

let wechat: FakeWechat;
let tokens: number;

function settings(env: 0 | 1 = 0): XpaySettings {
  return { offerId: '1450019686', env, appKeys: { live: LIVE_KEY, sandbox: SANDBOX_KEY }, appId: 'wx0123456789abcdef', appSecret: 'app-secret', apiBaseUrl: wechat.url };
}

beforeEach(async () => {
  wechat = new FakeWechat();
  tokens = 0;
  wechat.on('/cgi-bin/stable_token', () => ({ json: { access_token: `token-${++tokens}`, expires_in: 7200 } }));
  await wechat.start();
});

afterEach(async () => {
  await wechat.stop();
});

/** The documented check of one signed request: pay_sig over path & body, signature over body. */
function expectSigned(request: Recorded, appKey: string, withUserSignature: boolean) {
  expect(request.method).toBe('POST');
  expect(request.query.pay_sig).toBe(hmac(appKey, `${request.path}&${request.body}`));
  if (withUserSignature) expect(request.query.signature).toBe(hmac(SESSION_KEY, request.body));
  expect(Object.keys(request.query).sort()).toEqual(withUserSignature ? ['access_token', 'pay_sig', 'signature'] : ['access_token', 'pay_sig']);
}

describe('each /xpay/ call sends the documented body, signed over the bytes sent', () => {
  test('query_user_balance: openid, env, user_ip; pay_sig and the user signature; the balance comes back in camelCase', async () => {
    wechat.on('/xpay/query_user_balance', () => ({
      json: { errcode: 0, errmsg: 'ok', balance: 120, present_balance: 20, sum_save: 100, sum_present: 20, sum_balance: 120, sum_cost: 0, first_save_flag: true },
    }));
    const balance = await new XpayClient(settings()).queryUserBalance({ openid: 'o-alice', userIp: '1.2.3.4', sessionKey: SESSION_KEY });
    expect(balance).toEqual({ balance: 120, presentBalance: 20, sumSave: 100, sumPresent: 20, sumBalance: 120, sumCost: 0, firstSaveFlag: true });
    const [request] = wechat.to('/xpay/query_user_balance');
    expect(request?.body).toBe('{"openid":"o-alice","env":0,"user_ip":"1.2.3.4"}');
    expectSigned(request as Recorded, LIVE_KEY, true);
    expect(request?.query.access_token).toBe('token-1');
  });

  test('currency_pay: the spend, signed with both signatures; device_type only when given', async () => {
    wechat.on('/xpay/currency_pay', () => ({ json: { errcode: 0, errmsg: 'ok', order_id: 'S20260401000001', balance: 95, used_present_amount: 5 } }));
    const client = new XpayClient(settings());
    const answer = await client.currencyPay({ openid: 'o-alice', userIp: '1.2.3.4', amount: 25, orderId: 'S20260401000001', payitem: '[{"productid":"quick","unit_price":25,"quantity":1}]', remark: 'answer', sessionKey: SESSION_KEY });
    expect(answer).toEqual({ orderId: 'S20260401000001', balance: 95, usedPresentAmount: 5 });
    await client.currencyPay({ openid: 'o-alice', userIp: '1.2.3.4', amount: 25, orderId: 'S20260401000002', payitem: '', remark: '', deviceType: 2, sessionKey: SESSION_KEY });
    const [first, second] = wechat.to('/xpay/currency_pay');
    expect(first?.body).toBe('{"openid":"o-alice","env":0,"user_ip":"1.2.3.4","amount":25,"order_id":"S20260401000001","payitem":"[{\\"productid\\":\\"quick\\",\\"unit_price\\":25,\\"quantity\\":1}]","remark":"answer"}');
    expect(second?.body).toBe('{"openid":"o-alice","env":0,"user_ip":"1.2.3.4","amount":25,"order_id":"S20260401000002","payitem":"","remark":"","device_type":2}');
    expectSigned(first as Recorded, LIVE_KEY, true);
    expectSigned(second as Recorded, LIVE_KEY, true);
  });

  test('cancel_currency_pay: pay_order_id is the spend, order_id the return\'s own id', async () => {
    wechat.on('/xpay/cancel_currency_pay', () => ({ json: { errcode: 0, errmsg: 'ok', order_id: 'R20260401000001' } }));
    const answer = await new XpayClient(settings()).cancelCurrencyPay({ openid: 'o-alice', userIp: '1.2.3.4', payOrderId: 'S20260401000001', orderId: 'R20260401000001', amount: 25, sessionKey: SESSION_KEY });
    expect(answer).toEqual({ orderId: 'R20260401000001' });
    const [request] = wechat.to('/xpay/cancel_currency_pay');
    expect(request?.body).toBe('{"openid":"o-alice","env":0,"user_ip":"1.2.3.4","pay_order_id":"S20260401000001","order_id":"R20260401000001","amount":25}');
    expectSigned(request as Recorded, LIVE_KEY, true);
  });

  test('present_currency: pay_sig only, so no session_key is needed', async () => {
    wechat.on('/xpay/present_currency', () => ({ json: { errcode: 0, errmsg: 'ok', order_id: 'W-o-alice', balance: 10, present_balance: 10 } }));
    const answer = await new XpayClient(settings()).presentCurrency({ openid: 'o-alice', orderId: 'W-o-alice', amount: 10 });
    expect(answer).toEqual({ orderId: 'W-o-alice', balance: 10, presentBalance: 10 });
    const [request] = wechat.to('/xpay/present_currency');
    expect(request?.body).toBe('{"openid":"o-alice","env":0,"order_id":"W-o-alice","amount":10}');
    expectSigned(request as Recorded, LIVE_KEY, false);
  });

  test('query_order by order_id or by wx_order_id; the order with its documented fields, left_fee and wx_order_id in either spelling', async () => {
    let call = 0;
    wechat.on('/xpay/query_order', () => {
      call += 1;
      const order = {
        order_id: 'P20260401000001', create_time: 1775000000, update_time: 1775000060, status: 4, biz_type: 0, order_fee: 100, coupon_fee: 0, paid_fee: 100,
        order_type: 0, refund_fee: 0, paid_time: 1775000030, provide_time: 1775000060, biz_meta: '', env_type: 1, token: 'tk',
        channel_order_id: 'ch-1', wxpay_order_id: '4200001', sett_time: 0, sett_state: 0,
        ...(call === 1 ? { left_fee: 100, wx_order_id: 'wx-1' } : { leftFee: 100, wxOrderId: 'wx-1' }),
      };
      return { json: { errcode: 0, errmsg: 'ok', order } };
    });
    const client = new XpayClient(settings());
    const byOurs = await client.queryOrder({ openid: 'o-alice', orderId: 'P20260401000001' });
    const byWechats = await client.queryOrder({ openid: 'o-alice', wxOrderId: 'wx-1' });
    expect(byOurs).toEqual(byWechats);
    expect(byOurs).toMatchObject({ orderId: 'P20260401000001', status: 4, orderFeeFen: 100, paidFeeFen: 100, leftFeeFen: 100, wxOrderId: 'wx-1', envType: 1, wxpayOrderId: '4200001' });
    const [first, second] = wechat.to('/xpay/query_order');
    expect(first?.body).toBe('{"openid":"o-alice","env":0,"order_id":"P20260401000001"}');
    expect(second?.body).toBe('{"openid":"o-alice","env":0,"wx_order_id":"wx-1"}');
    expectSigned(first as Recorded, LIVE_KEY, false);
  });

  test('refund_order: every documented field, reasons as strings, pay_sig only', async () => {
    wechat.on('/xpay/refund_order', () => ({ json: { errcode: 0, errmsg: 'ok', refund_order_id: 'RP20260401000001', refund_wx_order_id: 'wxr-1', pay_order_id: 'P20260401000001', pay_wx_order_id: 'wx-1' } }));
    const answer = await new XpayClient(settings()).refundOrder({
      openid: 'o-alice', orderId: 'P20260401000001', refundOrderId: 'RP20260401000001', leftFeeFen: 100, refundFeeFen: 100, bizMeta: 'answer failed', refundReason: '1', reqFrom: '3',
    });
    expect(answer).toEqual({ refundOrderId: 'RP20260401000001', refundWxOrderId: 'wxr-1', payOrderId: 'P20260401000001', payWxOrderId: 'wx-1' });
    const [request] = wechat.to('/xpay/refund_order');
    expect(request?.body).toBe('{"openid":"o-alice","order_id":"P20260401000001","refund_order_id":"RP20260401000001","left_fee":100,"refund_fee":100,"biz_meta":"answer failed","refund_reason":"1","req_from":"3","env":0}');
    expectSigned(request as Recorded, LIVE_KEY, false);
  });

  test('notify_provide_goods and download_bill', async () => {
    wechat.on('/xpay/notify_provide_goods', () => ({ json: { errcode: 0, errmsg: 'ok' } }));
    wechat.on('/xpay/download_bill', () => ({ json: { errcode: 0, errmsg: 'ok', url: 'https://bill.example/1' } }));
    const client = new XpayClient(settings());
    await client.notifyProvideGoods({ orderId: 'P20260401000001' });
    expect(await client.downloadBill({ beginDs: 20260401, endDs: 20260402 })).toEqual({ url: 'https://bill.example/1' });
    expect(wechat.to('/xpay/notify_provide_goods')[0]?.body).toBe('{"order_id":"P20260401000001","env":0}');
    expect(wechat.to('/xpay/download_bill')[0]?.body).toBe('{"begin_ds":20260401,"end_ds":20260402}');
    expectSigned(wechat.to('/xpay/download_bill')[0] as Recorded, LIVE_KEY, false);
  });

  test('with XPAY_ENV=1 the body says env 1 and the sandbox AppKey signs', async () => {
    wechat.on('/xpay/query_user_balance', () => ({ json: { errcode: 0, balance: 0, present_balance: 0, sum_save: 0, sum_present: 0, sum_balance: 0, sum_cost: 0, first_save_flag: 1 } }));
    const balance = await new XpayClient(settings(1)).queryUserBalance({ openid: 'o-alice', userIp: '1.2.3.4', sessionKey: SESSION_KEY });
    expect(balance.firstSaveFlag).toBe(true);
    const [request] = wechat.to('/xpay/query_user_balance');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ env: 1 });
    expectSigned(request as Recorded, SANDBOX_KEY, true);
    expect(request?.query.pay_sig).not.toBe(hmac(LIVE_KEY, `${request?.path ?? ''}&${request?.body ?? ''}`));
  });
});

describe('the access token', () => {
  test('stable_token is asked in normal mode with the documented body, and its token is reused for later calls', async () => {
    wechat.on('/xpay/present_currency', () => ({ json: { errcode: 0, order_id: 'x', balance: 1, present_balance: 1 } }));
    const client = new XpayClient(settings());
    await client.presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 1 });
    await client.presentCurrency({ openid: 'o-a', orderId: 'W-2', amount: 1 });
    const [tokenRequest, ...more] = wechat.to('/cgi-bin/stable_token');
    expect(more).toHaveLength(0);
    expect(tokenRequest?.method).toBe('POST');
    expect(JSON.parse(tokenRequest?.body ?? '')).toEqual({ grant_type: 'client_credential', appid: 'wx0123456789abcdef', secret: 'app-secret', force_refresh: false });
    expect(wechat.to('/xpay/present_currency').map((request) => request.query.access_token)).toEqual(['token-1', 'token-1']);
  });

  test('callers arriving together while no token is held share one stable_token request', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    wechat.on('/cgi-bin/stable_token', async () => {
      await gate;
      return { json: { access_token: `token-${++tokens}`, expires_in: 7200 } };
    });
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 's' });
    const waiting = Promise.all(Array.from({ length: 8 }, () => api.accessToken()));
    // Every caller is waiting on the one request before it is answered.
    while (wechat.to('/cgi-bin/stable_token').length === 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await waiting).toEqual(Array.from({ length: 8 }, () => 'token-1'));
    expect(wechat.to('/cgi-bin/stable_token')).toHaveLength(1);
  });

  test('a token near its expiry is replaced before WeChat would refuse it', async () => {
    let now = 1_000_000;
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 's' }, { now: () => now });
    expect(await api.accessToken()).toBe('token-1');
    now += (7200 - 5 * 60 - 1) * 1000;
    expect(await api.accessToken()).toBe('token-1');
    now += 2000;
    expect(await api.accessToken()).toBe('token-2');
  });

  test('when WeChat says the token expired (42001), a new one is fetched and the same signed request sent again, once', async () => {
    wechat.on('/xpay/currency_pay', (request) =>
      request.query.access_token === 'token-1' ? { json: { errcode: 42001, errmsg: 'access_token expired' } } : { json: { errcode: 0, order_id: 'S1-20260401', balance: 5, used_present_amount: 0 } },
    );
    const answer = await new XpayClient(settings()).currencyPay({ openid: 'o-a', userIp: '1.2.3.4', amount: 1, orderId: 'S1-20260401', payitem: '', remark: '', sessionKey: SESSION_KEY });
    expect(answer.balance).toBe(5);
    const [refused, retried] = wechat.to('/xpay/currency_pay');
    expect(retried?.query.access_token).toBe('token-2');
    expect(retried?.body).toBe(refused?.body);
    expect(retried?.query.pay_sig).toBe(refused?.query.pay_sig);
    expect(retried?.query.signature).toBe(refused?.query.signature);
  });

  test('a token refused again after the retry is an error, not a loop', async () => {
    wechat.on('/xpay/present_currency', () => ({ json: { errcode: 40001, errmsg: 'invalid credential' } }));
    const error = await new XpayClient(settings()).presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({ api: 'present_currency', errcode: 40001 });
    expect(wechat.to('/xpay/present_currency')).toHaveLength(2);
    expect(wechat.to('/cgi-bin/stable_token')).toHaveLength(2);
  });

  test('a stable_token refusal (40125 invalid appsecret) is a WechatApiError, and no /xpay/ request is sent', async () => {
    wechat.on('/cgi-bin/stable_token', () => ({ json: { errcode: 40125, errmsg: 'invalid appsecret' } }));
    const error = await new XpayClient(settings()).presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'WechatApiError', api: 'stable_token', errcode: 40125 });
    expect(wechat.to('/xpay/present_currency')).toHaveLength(0);
  });
});

describe('refusals and unknown outcomes are told apart', () => {
  const spend = (client: XpayClient) =>
    client.currencyPay({ openid: 'o-a', userIp: '1.2.3.4', amount: 1, orderId: 'S1-20260401', payitem: '', remark: '', sessionKey: SESSION_KEY }).catch((caught: unknown) => caught);

  test.each([
    [268490004, isRepeatedOperation],
    [268490009, isSessionExpired],
    [268490006, isInsufficientBalance],
    [268490003, isSignatureError],
  ])('errcode %i is a WechatApiError its predicate recognises', async (errcode, predicate) => {
    wechat.on('/xpay/currency_pay', () => ({ json: { errcode, errmsg: 'refused' } }));
    const error = await spend(new XpayClient(settings()));
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({ api: 'currency_pay', errcode, errmsg: 'refused' });
    expect(predicate(error)).toBe(true);
    expect(isOutcomeUnknown(error)).toBe(false);
  });

  test('a return already made (268490005) or repeated (268490004) both mean the tokens are back', async () => {
    for (const errcode of [268490005, 268490004]) {
      wechat.on('/xpay/cancel_currency_pay', () => ({ json: { errcode, errmsg: 'done before' } }));
      const error = await new XpayClient(settings())
        .cancelCurrencyPay({ openid: 'o-a', userIp: '1.2.3.4', payOrderId: 'S1-20260401', orderId: 'R1-20260401', amount: 1, sessionKey: SESSION_KEY })
        .catch((caught: unknown) => caught);
      expect(isTokenReturnDone(error)).toBe(true);
      expect(isAlreadyRefunded(error)).toBe(errcode === 268490005);
    }
  });

  test('no answer within the time limit: a WechatTransportError, whose outcome is unknown', async () => {
    wechat.on('/xpay/currency_pay', () => ({ hang: true }));
    const error = await spend(new XpayClient(settings(), { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ api: 'currency_pay' });
    expect(isOutcomeUnknown(error)).toBe(true);
  });

  test.each([
    ['an HTTP 502 page', { status: 502, raw: '<html>bad gateway</html>' }],
    ['a body that is not JSON', { raw: 'ok' }],
    ['errcode 0 without the balance', { json: { errcode: 0, order_id: 'S1-20260401' } }],
    ["WeChat's own -1 system error", { json: { errcode: -1, errmsg: 'system error' } }],
  ])('%s: outcome unknown', async (_what, answer) => {
    wechat.on('/xpay/currency_pay', () => answer);
    expect(isOutcomeUnknown(await spend(new XpayClient(settings())))).toBe(true);
  });

  test('a server that is not there: outcome unknown', async () => {
    const url = wechat.url;
    await wechat.stop();
    const client = new XpayClient({ ...settings(), apiBaseUrl: url });
    const error = await client.presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatTransportError);
    wechat = new FakeWechat();
    await wechat.start();
  });
});

describe('bad arguments are refused before anything is sent', () => {
  test.each([
    ['a zero amount', (client: XpayClient) => client.currencyPay({ openid: 'o-a', userIp: '1.2.3.4', amount: 0, orderId: 'S1', payitem: '', remark: '', sessionKey: SESSION_KEY })],
    ['a fractional amount', (client: XpayClient) => client.presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 1.5 })],
    ['an empty openid', (client: XpayClient) => client.presentCurrency({ openid: '', orderId: 'W-1', amount: 1 })],
    ['an order id with a space', (client: XpayClient) => client.presentCurrency({ openid: 'o-a', orderId: 'W 1', amount: 1 })],
    ['a user_ip that is not an address', (client: XpayClient) => client.queryUserBalance({ openid: 'o-a', userIp: 'localhost', sessionKey: SESSION_KEY })],
    ['a return under the spend\'s own id', (client: XpayClient) => client.cancelCurrencyPay({ openid: 'o-a', userIp: '1.2.3.4', payOrderId: 'S1', orderId: 'S1', amount: 1, sessionKey: SESSION_KEY })],
    ['a refund above left_fee', (client: XpayClient) => client.refundOrder({ openid: 'o-a', orderId: 'P1', refundOrderId: 'RP123456', leftFeeFen: 100, refundFeeFen: 101, refundReason: '0', reqFrom: '3' })],
    ['a refund id of 7 characters', (client: XpayClient) => client.refundOrder({ openid: 'o-a', orderId: 'P1', refundOrderId: 'RP12345', leftFeeFen: 100, refundFeeFen: 100, refundReason: '0', reqFrom: '3' })],
    ['both orderId and wxOrderId', (client: XpayClient) => client.queryOrder({ openid: 'o-a', orderId: 'P1', wxOrderId: 'wx-1' } as unknown as { openid: string; orderId: string })],
    ['a bill date that is not yyyymmdd', (client: XpayClient) => client.downloadBill({ beginDs: 20261301, endDs: 20261302 })],
    ['an empty session_key', (client: XpayClient) => client.queryUserBalance({ openid: 'o-a', userIp: '1.2.3.4', sessionKey: '' })],
  ])('%s', async (_what, call) => {
    const error = await call(new XpayClient(settings())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WechatApiError);
    expect(error).not.toBeInstanceOf(WechatTransportError);
    expect(wechat.requests).toHaveLength(0);
  });

  test('the argument errors are typed', async () => {
    const client = new XpayClient(settings());
    const error = await client.presentCurrency({ openid: 'o-a', orderId: 'W-1', amount: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatRequestError);
    expect(isInvalidRequest(error)).toBe(true);
    const noSession = await client.queryUserBalance({ openid: 'o-a', userIp: '1.2.3.4', sessionKey: '' }).catch((caught: unknown) => caught);
    expect(isInvalidRequest(noSession)).toBe(true);
    expect(isInvalidRequest(new WechatApiError('x', 268490002, 'bad'))).toBe(false);
  });
});

describe('code2Session', () => {
  test('the documented GET, and the session in camelCase', async () => {
    wechat.on('/sns/jscode2session', () => ({ json: { openid: 'o-alice', session_key: SESSION_KEY, unionid: 'u-1' } }));
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 'secret-1' });
    expect(await api.code2Session('081abcDEF')).toEqual({ openid: 'o-alice', sessionKey: SESSION_KEY, unionid: 'u-1' });
    const [request] = wechat.to('/sns/jscode2session');
    expect(request?.method).toBe('GET');
    expect(request?.query).toEqual({ appid: 'wx1', secret: 'secret-1', js_code: '081abcDEF', grant_type: 'authorization_code' });
  });

  test('a used or invalid code (40029) is a WechatApiError that says so, without the AppSecret', async () => {
    wechat.on('/sns/jscode2session', () => ({ json: { errcode: 40029, errmsg: 'invalid code' } }));
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 'secret-1' });
    const error = await api.code2Session('081used').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'WechatApiError', api: 'code2Session', errcode: 40029 });
    expect(String(error)).not.toContain('secret-1');
  });

  test('a success that carries errcode 0 (as the page\'s own example does) is a session', async () => {
    wechat.on('/sns/jscode2session', () => ({ json: { openid: 'o-alice', session_key: SESSION_KEY, errcode: 0, errmsg: 'ok' } }));
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 's' });
    expect(await api.code2Session('081abc')).toEqual({ openid: 'o-alice', sessionKey: SESSION_KEY });
  });

  test('an answer without session_key is not a session', async () => {
    wechat.on('/sns/jscode2session', () => ({ json: { openid: 'o-alice' } }));
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 's' });
    await expect(api.code2Session('081abc')).rejects.toBeInstanceOf(WechatTransportError);
  });

  test('an empty code is refused without a request', async () => {
    const api = new WechatApiClient({ baseUrl: wechat.url, appId: 'wx1', appSecret: 's' });
    await expect(api.code2Session('')).rejects.toBeInstanceOf(WechatRequestError);
    expect(wechat.requests).toHaveLength(0);
  });
});

describe('settings and refund progress', () => {
  const base = { XPAY_OFFER_ID: '1450019686', XPAY_APP_KEY: 'live', WX_APPID: 'wx1', WX_APPSECRET: 's' };

  test('the live env by default, https://api.weixin.qq.com unless WX_API_BASE_URL says otherwise', () => {
    expect(readXpaySettings(base)).toEqual({ offerId: '1450019686', env: 0, appKeys: { live: 'live' }, appId: 'wx1', appSecret: 's', apiBaseUrl: 'https://api.weixin.qq.com' });
    expect(readXpaySettings({ ...base, XPAY_ENV: '1', XPAY_SANDBOX_APP_KEY: 'sb', WX_API_BASE_URL: 'http://127.0.0.1:9' })).toMatchObject({ env: 1, appKeys: { live: 'live', sandbox: 'sb' }, apiBaseUrl: 'http://127.0.0.1:9' });
  });

  test.each([
    ['no OfferID', { ...base, XPAY_OFFER_ID: '' }],
    ['the sandbox env without its key', { ...base, XPAY_ENV: '1' }],
    ['an env that is neither 0 nor 1', { ...base, XPAY_ENV: '2' }],
    ['no AppSecret', { ...base, WX_APPSECRET: undefined }],
    ['a base URL that is not http(s)', { ...base, WX_API_BASE_URL: 'ftp://x' }],
  ])('%s is refused at start-up', (_what, env) => {
    expect(() => readXpaySettings(env)).toThrow(XpayConfigError);
  });

  test('a refund order at status 5 or 8 is done, 7 failed, anything else still going', () => {
    const order = { orderId: 'RP1', createTime: 0, updateTime: 0, bizType: 0, orderFeeFen: 100, paidFeeFen: 100, orderType: 1, refundFeeFen: 100, paidTime: 0, provideTime: 0, bizMeta: '', envType: 1 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((status) => refundProgressOf({ ...order, status }))).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'succeeded', 'pending', 'failed', 'succeeded']);
  });
});
