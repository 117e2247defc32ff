import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Caller } from '../../local/functions/callers';
import { HttpError, readJsonBody, sendJson } from '../../local/http';
import { LocalStore } from '../../local/store/localDatabase';
import { XpayEmulator, type IssuedPayment, type XpayRuntimeSettings } from '../../local/wechat/emulator';
import { defaultXpayFaults, mergeXpayFaults, type XpayFaults } from '../../local/wechat/faults';
import { simulateVirtual, wechatRoutes, type WechatRoute } from '../../local/wechat/routes';
import type { XpayAccount, XpayCatalogue } from '../../local/wechat/settings';
import { CLIENT_SIGN_URI, paySignature, userSignature } from '../../local/wechat/sign';
import type { Json } from './json';

/** A function stand-in that receives pushes: it answers what the test says, and remembers every call. */
export type PushReceiver = (event: Json, caller: Caller) => unknown;

export const ACCOUNT: XpayAccount = {
  appId: 'wx-test-app',
  appSecret: 'test-app-secret-0123456789abcdef',
  offerId: '1450019686',
  appKeys: { live: 'live-app-key-123', sandbox: 'sandbox-app-key-456' },
  originalId: 'gh_0123456789ab',
};

/** A time the test moves by hand (codes, tokens and sessions expire by it; timers stay real). */
export class ManualClock {
  constructor(public t = Date.UTC(2030, 0, 1, 2, 0, 0)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface EmulatorHarness {
  url: string;
  emulator: XpayEmulator;
  clock: ManualClock;
  dataDir: string;
  /** Every push invocation, in order. */
  received: { name: string; event: Json; caller: Caller }[];
  setReceiver(name: string, receiver: PushReceiver): void;
  setFaults(patch: Partial<XpayFaults>): void;
  catalogue: XpayCatalogue;
  issued: Map<string, IssuedPayment>;
  close(): Promise<void>;
}

/**
 * The emulator alone, served on a loopback port, over its own platform store: pushes go to
 * in-test receivers instead of cloud functions (the real xpayNotify function is not needed to test
 * WeChat's side).
 */
export async function startEmulator(options: { dataDir?: string; settings?: Partial<XpayRuntimeSettings>; routes?: Record<string, string>; clock?: ManualClock } = {}): Promise<EmulatorHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'xpay-emu-'));
  const store = new LocalStore(join(dataDir, 'platform'));
  const clock = options.clock ?? new ManualClock();
  const receivers = new Map<string, PushReceiver>();
  const received: EmulatorHarness['received'] = [];
  let faults = defaultXpayFaults();
  const catalogue: XpayCatalogue = { products: { quick: 50, expert: 499, ios_item: 100 }, tokenPriceFen: 1 };
  const issued = new Map<string, IssuedPayment>();
  const emulator = new XpayEmulator({
    db: store.database(),
    account: ACCOUNT,
    catalogue: () => catalogue,
    pushRoutes: options.routes ?? { xpay_goods_deliver_notify: 'xpayNotify', xpay_coin_pay_notify: 'xpayNotify', xpay_refund_notify: 'xpayNotify', xpay_complaint_notify: 'xpayNotify' },
    invokeFunction: async (name, event, caller) => {
      received.push({ name, event: event as Json, caller });
      const receiver = receivers.get(name);
      if (!receiver) throw new Error(`no function ${name}`);
      return receiver(event as Json, caller);
    },
    faults: () => faults,
    issuedPayment: async (outTradeNo) => issued.get(outTradeNo) ?? null,
    publicUrl: () => url,
    settings: { pushRetryUnitMs: 1, refundSettleMs: 5, ...options.settings },
    now: clock.now,
  });
  const simulate: WechatRoute = {
    // The runtime's /api/pay/simulate, for virtual payments only.
    method: 'POST',
    path: /^\/api\/pay\/simulate$/,
    handler: async (req, res) => {
      const { outTradeNo, outcome, platform } = await readJsonBody(req);
      const answer = await simulateVirtual(emulator, String(outTradeNo), outcome as 'success' | 'cancel' | 'fail', platform);
      sendJson(res, answer === null ? 404 : 200, answer ?? { errMsg: 'not a virtual payment' });
    },
  };
  const routes = [...wechatRoutes(emulator), simulate];
  const server: Server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    const route = routes.find((r) => r.path.test(parsed.pathname) && (r.method === 'ANY' || r.method === req.method));
    if (!route) return sendJson(res, 404, { errMsg: 'no route' });
    route.handler(req, res, parsed, route.path.exec(parsed.pathname) as RegExpExecArray).catch((error: unknown) => {
      req.resume();
      if (!res.headersSent) sendJson(res, error instanceof HttpError ? error.status : 500, { errMsg: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await emulator.resume();
  return {
    url,
    emulator,
    clock,
    dataDir,
    received,
    catalogue,
    issued,
    setReceiver: (name, receiver) => receivers.set(name, receiver),
    setFaults: (patch) => {
      faults = mergeXpayFaults(defaultXpayFaults(), patch);
    },
    async close() {
      emulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

/** The functions' side, as a test plays it: tokens, logins and signed calls over HTTP. */
export class XpayTestClient {
  private token = '';

  constructor(
    readonly url: string,
    readonly account: XpayAccount = ACCOUNT,
  ) {}

  async post(path: string, body: string | object, headers: Record<string, string> = {}): Promise<Json> {
    const response = await fetch(`${this.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await response.text();
    return text ? (JSON.parse(text) as Json) : {};
  }

  async get(path: string): Promise<Json> {
    return (await fetch(`${this.url}${path}`)).json() as Promise<Json>;
  }

  async accessToken(forceRefresh = false): Promise<string> {
    const answer = await this.post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: this.account.appId, secret: this.account.appSecret, ...(forceRefresh ? { force_refresh: true } : {}) });
    if (typeof answer.access_token !== 'string') throw new Error(`stable_token refused: ${JSON.stringify(answer)}`);
    this.token = answer.access_token;
    return this.token;
  }

  async login(openid: string): Promise<string> {
    const answer = await this.post('/api/wx/login', {}, { 'X-WX-OPENID': openid });
    return answer.code as string;
  }

  code2Session(code: string, overrides: Record<string, string> = {}): Promise<Json> {
    const query = new URLSearchParams({ appid: this.account.appId, secret: this.account.appSecret, js_code: code, grant_type: 'authorization_code', ...overrides });
    return this.get(`/sns/jscode2session?${query.toString()}`);
  }

  /** wx.login and code2Session: the user's current session key. */
  async sessionKey(openid: string): Promise<string> {
    const answer = await this.code2Session(await this.login(openid));
    return answer.session_key as string;
  }

  /**
   * A server API call with the exact body bytes signed: pay_sig with the AppKey of the body's env,
   * and the user signature when a session key is given.
   */
  async xpay(api: string, body: string | object, options: { sessionKey?: string; appKey?: string; token?: string } = {}): Promise<Json> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const env = (JSON.parse(text) as { env?: number }).env;
    const appKey = options.appKey ?? (env === 1 ? this.account.appKeys.sandbox : this.account.appKeys.live);
    const query = new URLSearchParams({ access_token: options.token ?? (this.token || (await this.accessToken())), pay_sig: paySignature(appKey, `/xpay/${api}`, text) });
    if (options.sessionKey) query.set('signature', userSignature(options.sessionKey, text));
    return this.post(`/xpay/${api}?${query.toString()}`, text);
  }

  /** The parameters the server hands the mini program for wx.requestVirtualPayment. */
  payment(sessionKey: string, fields: Record<string, unknown>, mode: 'short_series_goods' | 'short_series_coin' = 'short_series_goods', appKey?: string): IssuedPayment {
    const signData = JSON.stringify({ offerId: this.account.offerId, buyQuantity: 1, env: 0, currencyType: 'CNY', attach: 'test', ...fields });
    const env = (JSON.parse(signData) as { env: number }).env;
    return {
      signData,
      mode,
      paySig: paySignature(appKey ?? (env === 1 ? this.account.appKeys.sandbox : this.account.appKeys.live), CLIENT_SIGN_URI, signData),
      signature: userSignature(sessionKey, signData),
    };
  }

  requestPayment(openid: string, payment: IssuedPayment | Record<string, unknown>, platform?: string): Promise<Json> {
    return this.post('/api/xpay/request-payment', { ...payment, ...(platform ? { platform } : {}) }, { 'X-WX-OPENID': openid });
  }

  simulate(outTradeNo: string, outcome: 'success' | 'cancel' | 'fail' = 'success', platform?: string): Promise<Json> {
    return this.post('/api/pay/simulate', { outTradeNo, outcome, ...(platform ? { platform } : {}) });
  }
}

/** Waits (bounded) until `check` holds; the assertion after it shows what it saw if it never does. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}
