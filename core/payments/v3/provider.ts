import { formatRfc3339Beijing } from '../../time';
import {
  PaymentUnavailableError,
  type PaymentProvider,
  type PrepayRequest,
  type RefundAnswer,
  type RefundRequest,
  type RefundState,
  type RequestPaymentParams,
  type TradeState,
  type TradeStatus,
} from '../provider';
import type { NoticeChannel, NoticeInput, NoticeReading, ReplayKey } from '../provider';
import { callV3, type V3Response } from './client';
import { rawBodyOf, type HttpTriggerEvent } from './httpEvent';
import { openNotification } from './notification';
import { readV3Config, type V3Config } from './config';
import { miniProgramPaySign, nonce } from './crypto';

const TRADE_STATES: readonly TradeState[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];
const REFUND_STATES: readonly RefundState[] = ['SUCCESS', 'PROCESSING', 'CLOSED', 'ABNORMAL'];
/** WeChat's limit on a refund's `reason`. */
const REFUND_REASON_MAX = 80;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function describe(answer: V3Response): string {
  return `HTTP ${answer.status} ${text(answer.body.code) ?? ''} ${text(answer.body.message) ?? ''}`.trim();
}

function amountTotal(body: Record<string, unknown>): number | undefined {
  const amount = body.amount as Record<string, unknown> | undefined;
  const total = amount?.total;
  return typeof total === 'number' && Number.isInteger(total) ? total : undefined;
}

/** WeChat Pay API v3 for a direct merchant (JSAPI / mini program orders). */
export class V3PaymentProvider implements PaymentProvider {
  readonly mode = 'v3';

  constructor(
    readonly config: V3Config,
    private readonly now: () => number = Date.now,
  ) {}

  private call(method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>): Promise<V3Response> {
    return callV3(this.config, method, path, payload, this.now).catch((error: unknown) => {
      throw new PaymentUnavailableError(error instanceof Error ? error.message : String(error));
    });
  }

  /**
   * API v3 notifications (payments and refunds), as CloudBase HTTP access hands them to
   * `payNotify`: believed only after the platform signature over the raw bytes, the timestamp
   * window and the AES-256-GCM resource check out (./notification.ts). The (serial, nonce) pair is
   * returned for the caller's replay check.
   */
  readNotice(channel: NoticeChannel, input: NoticeInput): NoticeReading & { replay?: ReplayKey } {
    if (channel !== 'v3_http') return { kind: 'not_mine' };
    const request = input.event as HttpTriggerEvent;
    const opened = openNotification(this.config, request.headers ?? {}, rawBodyOf(request), input.now);
    if (!opened.ok) return { kind: 'rejected', status: opened.status, reason: opened.reason };
    const replay = { serial: opened.headers.serial, nonce: opened.headers.nonce, id: opened.notification.id };
    const notification = opened.notification;
    if (notification.kind === 'transaction') {
      if (notification.tradeState !== 'SUCCESS') return { kind: 'ignored', reason: `trade_state ${notification.tradeState}`, replay };
      return {
        kind: 'payment',
        outTradeNo: notification.outTradeNo,
        amountFen: notification.amountFen,
        ...(notification.transactionId ? { transactionId: notification.transactionId } : {}),
        verified: true,
        source: 'v3_notification',
        replay,
      };
    }
    const state = notification.eventType === 'REFUND.SUCCESS' && notification.refundStatus === 'SUCCESS' ? 'SUCCESS' : notification.eventType === 'REFUND.CLOSED' ? 'CLOSED' : 'ABNORMAL';
    return {
      kind: 'refund',
      outTradeNo: notification.outTradeNo,
      outRefundNo: notification.outRefundNo,
      state,
      ...(notification.refundFen !== undefined ? { refundFen: notification.refundFen } : {}),
      verified: true,
      source: 'v3_refund_notification',
      replay,
    };
  }

  async createPrepay(request: PrepayRequest): Promise<RequestPaymentParams> {
    const answer = await this.call('POST', '/v3/pay/transactions/jsapi', {
      appid: this.config.appId,
      mchid: this.config.mchId,
      description: request.description,
      out_trade_no: request.outTradeNo,
      // Whole seconds, rounded down: the provider stops taking money no later than reconcile closes.
      time_expire: formatRfc3339Beijing(Math.floor(request.expiresAt / 1000) * 1000),
      ...(request.attach ? { attach: request.attach } : {}),
      notify_url: this.config.notifyUrl,
      amount: { total: request.amountFen, currency: 'CNY' },
      payer: { openid: request.payer.openid },
    });
    const prepayId = text(answer.body.prepay_id);
    if (answer.status !== 200 || !prepayId) throw new PaymentUnavailableError(`v3 jsapi order failed: ${describe(answer)}`);
    const timeStamp = String(Math.floor(this.now() / 1000));
    const nonceStr = nonce();
    const pkg = `prepay_id=${prepayId}`;
    return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign: miniProgramPaySign(this.config.appId, timeStamp, nonceStr, pkg, this.config.merchantPrivateKey) };
  }

  async queryOrder(outTradeNo: string): Promise<TradeStatus> {
    const answer = await this.call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.config.mchId)}`);
    if (answer.status === 404) return { state: 'NOT_FOUND' };
    if (answer.status !== 200) throw new PaymentUnavailableError(`v3 query order failed: ${describe(answer)}`);
    if (answer.body.out_trade_no !== outTradeNo || answer.body.mchid !== this.config.mchId) {
      throw new PaymentUnavailableError('v3 query order answered for another order or merchant');
    }
    const state = text(answer.body.trade_state) as TradeState | undefined;
    const amountFen = amountTotal(answer.body);
    const transactionId = text(answer.body.transaction_id);
    return {
      state: state && TRADE_STATES.includes(state) ? state : 'PAYERROR',
      ...(amountFen !== undefined ? { amountFen } : {}),
      ...(transactionId ? { transactionId } : {}),
    };
  }

  async closeOrder(outTradeNo: string): Promise<boolean> {
    const answer = await this.call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, { mchid: this.config.mchId });
    return answer.status === 204 || answer.status === 200;
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    const answer = await this.call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: request.outTradeNo,
      out_refund_no: request.outRefundNo,
      reason: [...request.reason].slice(0, REFUND_REASON_MAX).join(''),
      notify_url: this.config.notifyUrl,
      amount: { refund: request.refundFen, total: request.totalFen, currency: 'CNY' },
    });
    // A 5xx says nothing about the outcome: the caller keeps the refund pending and asks again.
    if (answer.status >= 500) throw new PaymentUnavailableError(`v3 refund unanswered: ${describe(answer)}`);
    if (answer.status !== 200) return { accepted: false, message: describe(answer) };
    const state = text(answer.body.status) as RefundState | undefined;
    return { accepted: true, state: state && REFUND_STATES.includes(state) ? state : 'PROCESSING' };
  }

  async queryRefund(outRefundNo: string): Promise<RefundState> {
    const answer = await this.call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
    if (answer.status === 404) return 'NOT_FOUND';
    if (answer.status !== 200) throw new PaymentUnavailableError(`v3 query refund failed: ${describe(answer)}`);
    const state = text(answer.body.status) as RefundState | undefined;
    return state && REFUND_STATES.includes(state) ? state : 'PROCESSING';
  }
}

/** WeChat Pay API v3 for a direct merchant, configured from the environment (checked at start-up). */
export function createV3Provider(env: NodeJS.ProcessEnv, now: () => number = Date.now): PaymentProvider {
  return new V3PaymentProvider(readV3Config(env), now);
}
