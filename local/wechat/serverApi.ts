import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonText, readBody, sendJson } from '../http';
import { PLATFORM, PLATFORM_MESSAGES, withRid, XPAY, xpayError, type WeChatError } from './codes';
import type { XpayFaults } from './faults';
import type { IdentityService } from './identity';
import { STATUS, XpayLedger, type Env } from './ledger';
import type { XpayAccount, XpayCatalogue } from './settings';
import { paySignature, signatureMatches } from './sign';

/**
 * WeChat's server API as the functions reach it at `WX_API_BASE_URL`: `POST /cgi-bin/stable_token`,
 * `GET /sns/jscode2session` and `POST /xpay/<api>?access_token=…&pay_sig=…[&signature=…]` with a JSON
 * body (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#_2-3-服务器API).
 * Every answer is HTTP 200 with `{ errcode, errmsg, … }`, as WeChat's are.
 *
 * Checks before an API runs, in this order: the access token (41001/40014/40001/42001), a transient
 * system error (-1, fault), the JSON body (268490002), `env` (268490002), pay_sig over `uri + '&' +
 * the exact body bytes` with the AppKey of that env (268490003), and, for the three APIs that need
 * the user signature, the openid (268490001) and the signature over the body with the user's current
 * session key (268490009 expired or replaced, 268490003 wrong).
 */

/** APIs that need the user signature as well as pay_sig ("需要用户态签名与支付签名" in their 备注). */
const USER_SIGNED = new Set(['query_user_balance', 'currency_pay', 'cancel_currency_pay']);
/** order_id of currency_pay, cancel_currency_pay and present_currency: undocumented; the stricter rule of the family (outTradeNo's) applies. */
const ORDER_ID = /^[0-9A-Za-z_\-|*@]{8,32}$/;
/** refund_order_id: "长度为[8,32]，字符只允许使用字母、数字、'_'、'-'". */
const REFUND_ORDER_ID = /^[0-9A-Za-z_-]{8,32}$/;
const OPENID = /^[0-9A-Za-z_-]{1,128}$/;

export interface ServerApiDeps {
  account: () => XpayAccount;
  catalogue: () => XpayCatalogue;
  identity: IdentityService;
  ledger: XpayLedger;
  faults: () => XpayFaults;
  /** A paid refund_order's refund is now under way: end it a moment later. */
  refundStarted: (refundOrderId: string) => void;
  /** The local bill download address for an id (download_bill). */
  billUrl: (id: string) => string;
}

type Answer = Record<string, unknown>;
type Handled = Answer | 'answer-lost';

const ok = (fields: Answer = {}): Answer => ({ errcode: 0, errmsg: 'ok', ...fields });
const err = (code: number, detail?: string): WeChatError => xpayError(code, detail);

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 31 - 1;
const isAmount = (value: unknown): value is number => isInt(value) && value > 0;
const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function deviceType(value: unknown): number | undefined | false {
  if (value === undefined) return undefined;
  // 1 Android, 2 iOS (WxJava `WxMaConstants.XPayDeviceType`; silenceper sends it as a string). Not in the VP tables: optional.
  const number = typeof value === 'string' ? Number(value) : value;
  return number === 1 || number === 2 ? number : false;
}

export class XpayServerApi {
  /** download_bill's bills: the first call starts one (268490011), a later call gets its address. */
  private readonly bills = new Map<string, string>();

  constructor(private readonly deps: ServerApiDeps) {}

  /** Answers a WeChat server API path; false when the path is not one. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (path === '/cgi-bin/stable_token') {
      if (req.method !== 'POST') return this.send(res, { errcode: PLATFORM.REQUIRE_POST, errmsg: withRid(PLATFORM_MESSAGES[PLATFORM.REQUIRE_POST] as string) });
      const body = await this.json(req);
      return this.send(res, body === null ? err(XPAY.PARAM, 'body must be a JSON object') : await this.deps.identity.stableToken(body));
    }
    if (path === '/sns/jscode2session') {
      req.resume();
      return this.send(res, await this.deps.identity.code2Session(url.searchParams));
    }
    const match = /^\/xpay\/([a-z_]{1,40})$/.exec(path);
    if (!match) return false;
    const api = match[1] as string;
    if (req.method !== 'POST') {
      req.resume();
      return this.send(res, { errcode: PLATFORM.REQUIRE_POST, errmsg: withRid(PLATFORM_MESSAGES[PLATFORM.REQUIRE_POST] as string) });
    }
    const raw = await readBody(req);
    const answer = await this.xpay(api, raw, url.searchParams);
    if (answer === 'answer-lost') {
      // The fault: the operation is done, but its answer never arrives.
      res.socket?.destroy();
      return true;
    }
    return this.send(res, answer);
  }

  private send(res: ServerResponse, body: Answer): true {
    sendJson(res, 200, body);
    return true;
  }

  private async json(req: IncomingMessage): Promise<Answer | null> {
    return this.parse(await readBody(req));
  }

  private parse(raw: Buffer): Answer | null {
    try {
      const parsed = parseJsonText(raw.toString('utf8'));
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Answer) : null;
    } catch {
      return null;
    }
  }

  private async xpay(api: string, raw: Buffer, query: URLSearchParams): Promise<Handled> {
    const handler = this.apis[api];
    if (!handler) return err(XPAY.PARAM, `${api} is not emulated`);
    const token = await this.deps.identity.checkAccessToken(query.get('access_token'));
    if (!token.ok) return { ...token.error };
    if (Math.random() < this.deps.faults().systemError) return err(XPAY.SYSTEM_ERROR);
    const body = this.parse(raw);
    if (!body) return err(XPAY.PARAM, 'body must be a JSON object');
    const env = body.env === undefined && api === 'download_bill' ? 0 : body.env;
    if (env !== 0 && env !== 1) return err(XPAY.PARAM, 'env must be 0 or 1');
    const account = this.deps.account();
    const appKey = env === 0 ? account.appKeys.live : account.appKeys.sandbox;
    if (!signatureMatches(paySignature(appKey, `/xpay/${api}`, raw), query.get('pay_sig'))) return err(XPAY.SIGNATURE, 'pay_sig');
    if (USER_SIGNED.has(api)) {
      if (typeof body.openid !== 'string' || !OPENID.test(body.openid)) return err(XPAY.OPENID);
      const check = await this.deps.identity.checkUserSignature(body.openid, raw, query.get('signature'));
      if (check === 'expired') return err(XPAY.SESSION_KEY_EXPIRED);
      if (check === 'invalid') return err(XPAY.SIGNATURE, 'signature');
    }
    return handler(body, env);
  }

  private readonly apis: Record<string, (body: Answer, env: Env) => Promise<Handled>> = {
    query_user_balance: async (body, env) => {
      if (!text(body.user_ip)) return err(XPAY.PARAM, 'user_ip');
      return ok({ ...(await this.deps.ledger.balance(body.openid as string, env)) });
    },

    currency_pay: async (body, env) => {
      if (this.deps.catalogue().tokenPriceFen === null) return err(XPAY.COIN_NOT_PUBLISHED);
      if (!text(body.user_ip)) return err(XPAY.PARAM, 'user_ip');
      if (!isAmount(body.amount)) return err(XPAY.PARAM, 'amount');
      if (typeof body.order_id !== 'string' || !ORDER_ID.test(body.order_id)) return err(XPAY.PARAM, 'order_id');
      if (body.payitem !== undefined && typeof body.payitem !== 'string') return err(XPAY.PARAM, 'payitem');
      if (body.remark !== undefined && typeof body.remark !== 'string') return err(XPAY.PARAM, 'remark');
      const device = deviceType(body.device_type);
      if (device === false) return err(XPAY.PARAM, 'device_type');
      const result = await this.deps.ledger.currencyPay({
        openid: body.openid as string,
        env,
        orderId: body.order_id,
        amount: body.amount,
        ...(typeof body.payitem === 'string' ? { payitem: body.payitem } : {}),
        ...(typeof body.remark === 'string' ? { remark: body.remark } : {}),
        ...(device !== undefined ? { deviceType: device } : {}),
      });
      if (!result.ok) return err(result.code === 'REPEATED' ? XPAY.REPEATED : result.code === 'INSUFFICIENT' ? XPAY.INSUFFICIENT : XPAY.PARAM, result.code === 'CONFLICT' ? 'order_id used by another user' : undefined);
      if (Math.random() < this.deps.faults().currencyPayAnswerLost) return 'answer-lost';
      return ok({ order_id: body.order_id, balance: result.value.balance, used_present_amount: result.value.usedPresent });
    },

    cancel_currency_pay: async (body, env) => {
      if (!text(body.user_ip)) return err(XPAY.PARAM, 'user_ip');
      if (!isAmount(body.amount)) return err(XPAY.PARAM, 'amount');
      if (typeof body.pay_order_id !== 'string' || !ORDER_ID.test(body.pay_order_id)) return err(XPAY.PARAM, 'pay_order_id');
      if (typeof body.order_id !== 'string' || !ORDER_ID.test(body.order_id)) return err(XPAY.PARAM, 'order_id');
      const device = deviceType(body.device_type);
      if (device === false) return err(XPAY.PARAM, 'device_type');
      const result = await this.deps.ledger.cancelCurrencyPay({
        openid: body.openid as string,
        env,
        payOrderId: body.pay_order_id,
        orderId: body.order_id,
        amount: body.amount,
        ...(device !== undefined ? { deviceType: device } : {}),
      });
      if (!result.ok) {
        const code = { REPEATED: XPAY.REPEATED, NOT_FOUND: XPAY.PARAM, INSUFFICIENT: XPAY.INSUFFICIENT, ALREADY_CANCELLED: XPAY.ALREADY_CANCELLED, CONFLICT: XPAY.PARAM }[result.code];
        // "数据不存在": WeChat's errmsg for an unknown pay_order_id (https://developers.weixin.qq.com/community/personal/oCJUsw2l9VMR-q7OeJ60jPTjh9SQ/answer?page=4).
        return err(code, result.code === 'NOT_FOUND' ? '数据不存在' : result.code === 'CONFLICT' ? 'order_id used for another refund' : undefined);
      }
      return ok({ order_id: result.value.orderId });
    },

    present_currency: async (body, env) => {
      if (this.deps.catalogue().tokenPriceFen === null) return err(XPAY.COIN_NOT_PUBLISHED);
      if (typeof body.openid !== 'string' || !OPENID.test(body.openid)) return err(XPAY.OPENID);
      if (!isAmount(body.amount)) return err(XPAY.PARAM, 'amount');
      if (typeof body.order_id !== 'string' || !ORDER_ID.test(body.order_id)) return err(XPAY.PARAM, 'order_id');
      const device = deviceType(body.device_type);
      if (device === false) return err(XPAY.PARAM, 'device_type');
      const result = await this.deps.ledger.presentCurrency({ openid: body.openid, env, orderId: body.order_id, amount: body.amount, ...(device !== undefined ? { deviceType: device } : {}) });
      if (!result.ok) return err(result.code === 'REPEATED' ? XPAY.REPEATED : XPAY.PARAM, result.code === 'CONFLICT' ? 'order_id used for another user' : undefined);
      // present_balance: "用户收到的总赠送金额" in this answer (VP present_currency table).
      return ok({ balance: result.value.balance, order_id: body.order_id, present_balance: result.value.sum_present });
    },

    query_order: async (body, env) => {
      const order = await this.findOrder(body, env);
      if (typeof order === 'string') return err(XPAY.PARAM, order);
      return ok({ order: XpayLedger.orderView(order) });
    },

    notify_provide_goods: async (body, env) => {
      const order = await this.findOrder(body, env, false);
      if (typeof order === 'string') return err(XPAY.PARAM, order);
      if (order.kind !== 'pay') return err(XPAY.PARAM, 'only a pay order can be delivered');
      if (order.status === STATUS.DELIVERED) return ok();
      if (!(await this.deps.ledger.markDelivered(order._id))) return err(XPAY.PARAM, 'order is not paid');
      return ok();
    },

    refund_order: async (body, env) => {
      const order = await this.findOrder(body, env);
      if (typeof order === 'string') return err(XPAY.PARAM, order);
      if (order.kind !== 'pay') return err(XPAY.PARAM, 'order_id is a refund order');
      if (typeof body.refund_order_id !== 'string' || !REFUND_ORDER_ID.test(body.refund_order_id)) return err(XPAY.PARAM, 'refund_order_id');
      if (!isInt(body.left_fee)) return err(XPAY.PARAM, 'left_fee');
      if (!isInt(body.refund_fee)) return err(XPAY.PARAM, 'refund_fee');
      if (typeof body.biz_meta !== 'string' || body.biz_meta.length > 1024) return err(XPAY.PARAM, 'biz_meta');
      if (typeof body.refund_reason !== 'string' || !/^[0-5]$/.test(body.refund_reason)) return err(XPAY.PARAM, 'refund_reason');
      if (typeof body.req_from !== 'string' || !/^[1-3]$/.test(body.req_from)) return err(XPAY.PARAM, 'req_from');
      // An iOS payment went through Apple: the developer cannot refund it (IOS 端虚拟支付接入指引); the code is not documented.
      if (order.platform === 'ios') return err(XPAY.PARAM, 'iOS orders are refunded by Apple');
      const started = await this.deps.ledger.startRefund({ pay: order, refundOrderId: body.refund_order_id, leftFee: body.left_fee, refundFee: body.refund_fee, bizMeta: body.biz_meta, refundReason: body.refund_reason, reqFrom: body.req_from });
      if (!started.ok) {
        const code = { LEFT_FEE: XPAY.LEFT_FEE_MISMATCH, REFUND_FEE: XPAY.PARAM, NOT_PAID: XPAY.PARAM, IN_PROGRESS: XPAY.REFUND_IN_PROGRESS, CONFLICT: XPAY.PARAM }[started.code];
        return err(code, started.code === 'REFUND_FEE' ? 'refund_fee must be in (0, left_fee]' : started.code === 'NOT_PAID' ? 'order is not paid' : started.code === 'CONFLICT' ? 'refund_order_id used before' : undefined);
      }
      if (!started.repeated) this.deps.refundStarted(started.refund._id);
      return ok({ refund_order_id: started.refund._id, refund_wx_order_id: started.refund.wxOrderId, pay_order_id: order._id, pay_wx_order_id: order.wxOrderId });
    },

    download_bill: async (body) => {
      const range = (value: unknown) => (isInt(value) && /^\d{8}$/.test(String(value)) ? String(value) : null);
      const begin = range(body.begin_ds);
      const end = range(body.end_ds);
      if (!begin || !end || begin > end) return err(XPAY.PARAM, 'begin_ds and end_ds must be yyyymmdd, begin ≤ end');
      const key = `${begin}-${end}`;
      // "第一次调用触发生成下载url，可以间隔轮训来获取最终生成的下载url"
      if (!this.bills.has(key)) {
        this.bills.set(key, this.deps.billUrl(key));
        return err(XPAY.GENERATING);
      }
      return ok({ url: this.bills.get(key) });
    },
  };

  /** The order of a query_order / refund_order / notify_provide_goods body: by order_id or wx_order_id, in that env (and the user's, when given). */
  private async findOrder(body: Answer, env: Env, needsOpenid = true) {
    if (needsOpenid && (typeof body.openid !== 'string' || !OPENID.test(body.openid))) return 'openid';
    const byId = typeof body.order_id === 'string' && body.order_id.length > 0;
    const byWxId = typeof body.wx_order_id === 'string' && body.wx_order_id.length > 0;
    if (!byId && !byWxId) return 'order_id or wx_order_id';
    const order = byId ? await this.deps.ledger.order(body.order_id as string) : await this.deps.ledger.orderByWxId(body.wx_order_id as string);
    // "数据不存在" for an order WeChat does not have for this user and env (the emulator's choice of errmsg).
    if (!order || order.env !== env || (needsOpenid && order.openid !== body.openid)) return '数据不存在';
    return order;
  }
}
