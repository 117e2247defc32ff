import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { formatRfc3339Beijing } from '../../core/time';
import { readBody } from '../http';
import type { PaySimulator, RefundRecord, Trade } from './simulator';
import type { LocalV3Keys } from './v3Keys';

/**
 * WeChat Pay API v3, played locally over HTTP: the functions' V3 provider talks to these routes
 * exactly as to api.mch.weixin.qq.com. Requests must carry a valid merchant signature; answers
 * and notifications are signed with the platform key and their resources encrypted with the API
 * v3 key. The signing and encryption here use wechatpay-axios-plugin, while the functions verify
 * and decrypt with their own node:crypto code: two implementations meet in every local test.
 */

const TIMESTAMP_WINDOW_SECONDS = 300;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

export interface SignedMessage {
  headers: Record<string, string>;
  body: string;
}

function signHeaders(keys: LocalV3Keys, body: string, signedBody = body): Record<string, string> {
  const timestamp = String(Formatter.timestamp());
  const nonce = Formatter.nonce(32);
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': keys.platformSerial,
    'Wechatpay-Signature': Rsa.sign(Formatter.response(timestamp, nonce, signedBody), keys.platformPrivateKey),
    'Request-ID': randomUUID(),
  };
}

/**
 * A notification as WeChat Pay sends it. A tampered copy says another amount than the one that
 * was signed: its signature does not verify.
 */
export function signedNotification(keys: LocalV3Keys, eventType: string, summary: string, resource: Record<string, unknown>, tamper?: (resource: Record<string, unknown>) => Record<string, unknown>): SignedMessage {
  const originalType = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
  const envelope = (plain: Record<string, unknown>, id: string, iv: string) =>
    JSON.stringify({
      id,
      create_time: formatRfc3339Beijing(Date.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: Aes.AesGcm.encrypt(JSON.stringify(plain), keys.apiV3Key, iv, originalType), associated_data: originalType, nonce: iv },
    });
  const id = randomUUID();
  const iv = Formatter.nonce(12);
  const body = envelope(resource, id, iv);
  if (!tamper) return { headers: signHeaders(keys, body), body };
  return { headers: signHeaders(keys, envelope(tamper(resource), id, iv), body), body: envelope(tamper(resource), id, iv) };
}

export function transactionResource(keys: LocalV3Keys, trade: Trade): Record<string, unknown> {
  return {
    appid: keys.appId,
    mchid: keys.mchId,
    out_trade_no: trade.outTradeNo,
    transaction_id: trade.transactionId,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: formatRfc3339Beijing(trade.paidAt ?? Date.now()),
    ...(trade.payerOpenid ? { payer: { openid: trade.payerOpenid } } : {}),
    amount: { total: trade.amountFen, payer_total: trade.amountFen, currency: 'CNY', payer_currency: 'CNY' },
  };
}

export function refundResource(keys: LocalV3Keys, refund: RefundRecord, trade: Trade | null): Record<string, unknown> {
  return {
    mchid: keys.mchId,
    out_trade_no: refund.outTradeNo,
    transaction_id: trade?.transactionId ?? '',
    out_refund_no: refund.outRefundNo,
    refund_id: `50${refund.createdAt}`,
    refund_status: refund.state,
    success_time: formatRfc3339Beijing(Date.now()),
    user_received_account: '支付用户零钱',
    amount: { total: trade?.amountFen ?? refund.refundFen, refund: refund.refundFen, payer_total: trade?.amountFen ?? refund.refundFen, payer_refund: refund.refundFen },
  };
}

/** POSTs a notification; true when it was acknowledged (HTTP 200 or 204). */
export async function postNotification(url: string, message: SignedMessage): Promise<boolean> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...message.headers }, body: message.body });
  await response.arrayBuffer();
  return response.status === 200 || response.status === 204;
}

function parseAuthorization(header: string | undefined): Record<string, string> | null {
  if (!header?.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return null;
  const fields: Record<string, string> = {};
  for (const match of header.slice(26).matchAll(/(\w+)="([^"]*)"/g)) fields[match[1] as string] = match[2] as string;
  return fields;
}

function refundView(refund: RefundRecord, trade: Trade | null): Record<string, unknown> {
  return {
    refund_id: `50${refund.createdAt}`,
    out_refund_no: refund.outRefundNo,
    transaction_id: trade?.transactionId ?? '',
    out_trade_no: refund.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    create_time: formatRfc3339Beijing(refund.createdAt),
    status: refund.state,
    amount: { total: trade?.amountFen ?? refund.refundFen, refund: refund.refundFen, payer_total: trade?.amountFen ?? refund.refundFen, payer_refund: refund.refundFen, currency: 'CNY' },
  };
}

/** The v3 routes. Returns false when the path is not one of them. */
export function createV3Api(simulator: PaySimulator, keys: () => LocalV3Keys) {
  const answer = (res: ServerResponse, status: number, payload?: Record<string, unknown>) => {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    res.writeHead(status, { ...(body ? { 'Content-Type': 'application/json' } : {}), ...signHeaders(keys(), body) });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string) => answer(res, status, { code, message });

  return async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith('/v3/')) return false;
    const method = req.method ?? 'GET';
    const raw = (await readBody(req)).toString('utf8');
    const k = keys();
    const auth = parseAuthorization(req.headers.authorization);
    if (
      !auth ||
      auth.mchid !== k.mchId ||
      auth.serial_no !== k.merchantSerial ||
      !auth.timestamp ||
      !auth.nonce_str ||
      !auth.signature ||
      Math.abs(Date.now() / 1000 - Number(auth.timestamp)) > TIMESTAMP_WINDOW_SECONDS ||
      !Rsa.verify(Formatter.request(method, `${url.pathname}${url.search}`, auth.timestamp, auth.nonce_str, raw), auth.signature, k.merchantPublicKey)
    ) {
      error(res, 401, 'SIGN_ERROR', 'signature verification failed');
      return true;
    }
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        error(res, 400, 'PARAM_ERROR', 'body is not JSON');
        return true;
      }
    }
    const path = url.pathname;

    if (method === 'POST' && path === '/v3/pay/transactions/jsapi') {
      const amount = (body.amount ?? {}) as Record<string, unknown>;
      const payer = (body.payer ?? {}) as Record<string, unknown>;
      const expiresAt = typeof body.time_expire === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(body.time_expire) ? Date.parse(body.time_expire) : NaN;
      let notifyUrl: URL | null;
      try {
        notifyUrl = new URL(String(body.notify_url));
      } catch {
        notifyUrl = null;
      }
      const problem =
        body.appid !== k.appId ? 'appid does not belong to this merchant'
        : body.mchid !== k.mchId ? 'mchid differs from the signer'
        : typeof body.description !== 'string' || [...body.description].length < 1 || [...body.description].length > 127 ? 'description must be 1–127 characters'
        : typeof body.out_trade_no !== 'string' || !OUT_TRADE_NO.test(body.out_trade_no) ? 'out_trade_no must be 6–32 of [0-9A-Za-z_-|*]'
        : Number.isNaN(expiresAt) ? 'time_expire must be RFC 3339'
        : expiresAt < Date.now() + 60_000 ? 'time_expire must be at least 1 minute ahead'
        : body.attach !== undefined && (typeof body.attach !== 'string' || body.attach.length > 128) ? 'attach must be ≤ 128 characters'
        : !notifyUrl || notifyUrl.search !== '' ? 'notify_url must be a URL without a query string'
        : typeof amount.total !== 'number' || !Number.isInteger(amount.total) || amount.total < 1 ? 'amount.total must be a whole number of fen'
        : amount.currency !== 'CNY' ? 'amount.currency must be CNY'
        : typeof payer.openid !== 'string' || payer.openid === '' ? 'payer.openid is required'
        : null;
      if (problem) {
        error(res, 400, 'PARAM_ERROR', problem);
        return true;
      }
      const trade = await simulator.prepay({
        outTradeNo: body.out_trade_no as string,
        amountFen: amount.total as number,
        description: body.description as string,
        expiresAt,
        callbackFunction: '',
        channel: 'v3',
        notifyUrl: String(body.notify_url),
        payerOpenid: payer.openid as string,
      });
      if (typeof trade === 'string') error(res, 400, trade.startsWith('ORDERPAID') ? 'ORDERPAID' : 'INVALID_REQUEST', trade);
      else answer(res, 200, { prepay_id: trade.prepayId });
      return true;
    }

    const tradePath = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(\/close)?$/.exec(path);
    if (tradePath) {
      const outTradeNo = decodeURIComponent(tradePath[1] as string);
      if (method === 'GET' && !tradePath[2]) {
        if (url.searchParams.get('mchid') !== k.mchId) {
          error(res, 400, 'PARAM_ERROR', 'mchid is required');
          return true;
        }
        const trade = await simulator.trade(outTradeNo);
        if (!trade || trade.channel !== 'v3') {
          error(res, 404, 'ORDER_NOT_EXIST', 'order does not exist');
          return true;
        }
        answer(res, 200, {
          appid: k.appId,
          mchid: k.mchId,
          out_trade_no: trade.outTradeNo,
          trade_state: trade.state,
          trade_state_desc: trade.state,
          ...(trade.transactionId ? { transaction_id: trade.transactionId, trade_type: 'JSAPI', bank_type: 'OTHERS', success_time: formatRfc3339Beijing(trade.paidAt ?? Date.now()) } : {}),
          ...(trade.payerOpenid ? { payer: { openid: trade.payerOpenid } } : {}),
          amount: { total: trade.amountFen, currency: 'CNY', ...(trade.transactionId ? { payer_total: trade.amountFen, payer_currency: 'CNY' } : {}) },
        });
        return true;
      }
      if (method === 'POST' && tradePath[2]) {
        if (body.mchid !== k.mchId) {
          error(res, 400, 'PARAM_ERROR', 'mchid is required');
          return true;
        }
        const closed = await simulator.closeTrade(outTradeNo);
        if (closed === 'closed') answer(res, 204);
        else if (closed === 'ORDERNOTEXIST') error(res, 404, 'ORDER_NOT_EXIST', 'order does not exist');
        else if (closed === 'ORDERPAID') error(res, 400, 'ORDERPAID', 'order is paid');
        else error(res, 500, 'SYSTEM_ERROR', 'could not close now (injected)');
        return true;
      }
    }

    if (method === 'POST' && path === '/v3/refund/domestic/refunds') {
      const amount = (body.amount ?? {}) as Record<string, unknown>;
      const notifyUrl = typeof body.notify_url === 'string' ? body.notify_url : undefined;
      const result = await simulator.refundTrade({ outTradeNo: body.out_trade_no, outRefundNo: body.out_refund_no, totalFen: amount.total, refundFen: amount.refund, channel: 'v3', ...(notifyUrl ? { notifyUrl } : {}) });
      if (!result.ok) {
        const status = result.code === 'ORDERNOTEXIST' ? 404 : result.code === 'NOTENOUGH' ? 403 : 400;
        error(res, status, result.code === 'ORDERNOTEXIST' ? 'RESOURCE_NOT_EXISTS' : result.code, result.message);
      } else {
        answer(res, 200, refundView(result.refund, await simulator.trade(result.refund.outTradeNo)));
      }
      return true;
    }

    const refundPath = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && refundPath) {
      const refund = await simulator.refundRecord(decodeURIComponent(refundPath[1] as string));
      if (!refund) error(res, 404, 'RESOURCE_NOT_EXISTS', 'refund does not exist');
      else answer(res, 200, refundView(refund, await simulator.trade(refund.outTradeNo)));
      return true;
    }

    error(res, 404, 'NOT_FOUND', `no v3 route ${method} ${path}`);
    return true;
  };
}
