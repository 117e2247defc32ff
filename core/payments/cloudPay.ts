import type { CloudPayApi } from '../platform/wxCloud';
import { newNonce } from '../orders/ids';
import { logShapeOnce, readField } from './fields';
import { readRefundAnswer, tradeOfRefund } from './cloudPayRefundAnswer';
import { formatCompactBeijingTime } from '../time';
import { readCloudPayNotice } from './cloudPayNotices';
import {
  PaymentUnavailableError,
  type NoticeChannel,
  type NoticeInput,
  type NoticeReading,
  type PaymentProvider,
  type PrepayRequest,
  type RefundAnswer,
  type RefundRequest,
  type RefundState,
  type RequestPaymentParams,
  type TradeState,
  type TradeStatus,
} from './provider';

export interface CloudPaySettings {
  subMchId: string;
  envId: string;
  /** The cloud function that receives the payment result. */
  payCallbackFunction: string;
  refundCallbackFunction: string;
}

type Answer = Record<string, unknown>;

function text(answer: Answer, camel: string): string | undefined {
  const value = readField(answer, camel);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function succeeded(answer: Answer): boolean {
  return text(answer, 'returnCode') === 'SUCCESS' && text(answer, 'resultCode') === 'SUCCESS';
}

/**
 * What is left of a WeChat Pay error after wx-server-sdk (4.0.2, `callCloudPayAPI` in index.js):
 * it converts the v2 answer's snake_case keys with `/_[a-z]/` and then returns
 * `Object.assign({}, converted, { errCode: 0, errMsg: 'cloudPay.<api>:ok' })`, so the business
 * code (`err_code`: ORDERNOTEXIST, ORDERCLOSED, REFUNDNOTEXIST, …) is overwritten by `errCode: 0`.
 * What survives is `resultCode: 'FAIL'`, `returnMsg` and the description `errCodeDes`.
 */
function describeFailure(answer: Answer): string {
  return [text(answer, 'returnMsg'), text(answer, 'resultCode'), text(answer, 'errCodeDes')].filter(Boolean).join(' / ') || 'unknown';
}

/**
 * A business failure whose description says the thing does not exist. The v2 docs describe
 * ORDERNOTEXIST as "此交易订单号不存在" (orderquery, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2)
 * and REFUNDNOTEXIST as "退款订单查询失败" (refundquery, …?chapter=9_5); English answers say "not exist".
 */
function saysNotFound(answer: Answer): boolean {
  return text(answer, 'resultCode') === 'FAIL' && /不存在|查询失败|not\s*exist/i.test(text(answer, 'errCodeDes') ?? '');
}

/** ORDERCLOSED: "订单已关闭" (closeorder, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_3). */
function saysClosed(answer: Answer): boolean {
  return text(answer, 'resultCode') === 'FAIL' && /已关闭|closed/i.test(text(answer, 'errCodeDes') ?? '');
}

const TRADE_STATES: readonly TradeState[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];

/** CloudBase cloud pay through `wx-server-sdk` (`cloud.cloudPay`). */
export class CloudPayProvider implements PaymentProvider {
  readonly mode = 'cloudpay';

  constructor(
    private readonly api: CloudPayApi,
    private readonly settings: CloudPaySettings,
  ) {}

  /** The payment and refund callbacks: unsigned, so read as hints (./cloudPayNotices.ts). */
  readNotice(channel: NoticeChannel, input: NoticeInput): NoticeReading {
    return readCloudPayNotice(channel, input);
  }

  async createPrepay(request: PrepayRequest): Promise<RequestPaymentParams> {
    const answer = await this.api.unifiedOrder({
      functionName: this.settings.payCallbackFunction,
      envId: this.settings.envId,
      subMchId: this.settings.subMchId,
      nonceStr: newNonce(),
      body: request.description,
      outTradeNo: request.outTradeNo,
      totalFee: request.amountFen,
      spbillCreateIp: request.payer.clientIp,
      tradeType: 'JSAPI',
      timeExpire: formatCompactBeijingTime(request.expiresAt),
      ...(request.attach ? { attach: request.attach } : {}),
    });
    const payment = readField(answer, 'payment') as Record<string, unknown> | undefined;
    if (!succeeded(answer) || !payment) {
      throw new PaymentUnavailableError(`cloud pay unifiedOrder failed: ${describeFailure(answer)}`);
    }
    const signType = typeof payment.signType === 'string' ? payment.signType : 'MD5';
    return {
      timeStamp: String(payment.timeStamp),
      nonceStr: String(payment.nonceStr),
      package: String(payment.package),
      signType: signType === 'RSA' || signType === 'HMAC-SHA256' ? signType : 'MD5',
      paySign: String(payment.paySign),
    };
  }

  async queryOrder(outTradeNo: string): Promise<TradeStatus> {
    const answer = await this.api.queryOrder({
      sub_mch_id: this.settings.subMchId,
      out_trade_no: outTradeNo,
      nonce_str: newNonce(),
    });
    if (text(answer, 'returnCode') !== 'SUCCESS') {
      throw new PaymentUnavailableError(`cloud pay queryOrder failed: ${describeFailure(answer)}`);
    }
    if (text(answer, 'resultCode') !== 'SUCCESS') {
      if (saysNotFound(answer)) return { state: 'NOT_FOUND' };
      throw new PaymentUnavailableError(`cloud pay queryOrder failed: ${describeFailure(answer)}`);
    }
    const state = text(answer, 'tradeState') as TradeState | undefined;
    const amount = Number(readField(answer, 'totalFee'));
    const transactionId = text(answer, 'transactionId');
    return {
      state: state && TRADE_STATES.includes(state) ? state : 'PAYERROR',
      ...(Number.isInteger(amount) ? { amountFen: amount } : {}),
      ...(transactionId ? { transactionId } : {}),
    };
  }

  async closeOrder(outTradeNo: string): Promise<boolean> {
    const answer = await this.api.closeOrder({
      sub_mch_id: this.settings.subMchId,
      out_trade_no: outTradeNo,
      nonce_str: newNonce(),
    });
    if (succeeded(answer) || saysClosed(answer)) return true;
    // The description is prose; the order's own state is not. An order WeChat shows as closed,
    // revoked or unknown can take no payment, which is all closing it has to ensure.
    const trade = await this.queryOrder(outTradeNo).catch(() => null);
    return trade !== null && (trade.state === 'CLOSED' || trade.state === 'REVOKED' || trade.state === 'NOT_FOUND');
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    const answer = await this.api.refund({
      sub_mch_id: this.settings.subMchId,
      nonce_str: newNonce(),
      out_trade_no: request.outTradeNo,
      out_refund_no: request.outRefundNo,
      total_fee: request.totalFen,
      refund_fee: request.refundFen,
      refund_desc: request.reason,
      functionName: this.settings.refundCallbackFunction,
      envId: this.settings.envId,
    });
    if (succeeded(answer)) return { accepted: true, state: 'PROCESSING' };
    return { accepted: false, message: describeFailure(answer) };
  }

  /**
   * Asked by the trade (out_trade_no), not by the refund number: cloud pay answers with the trade's
   * refunds as lists, and the indexed form WeChat's answer on the community promises comes only
   * for queries by trade (see core/payments/cloudPayRefundAnswer.ts); our refund is then picked out
   * by its number. Both keys are never sent together: WeChat would use out_refund_no
   * ("refund_id>out_refund_no>transaction_id>out_trade_no", CloudPay.queryRefund,
   * https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.queryRefund.html).
   */
  async queryRefund(outRefundNo: string): Promise<RefundState> {
    const outTradeNo = tradeOfRefund(outRefundNo);
    const answer = await this.api.queryRefund({
      sub_mch_id: this.settings.subMchId,
      nonce_str: newNonce(),
      ...(outTradeNo ? { out_trade_no: outTradeNo } : { out_refund_no: outRefundNo }),
    });
    if (!succeeded(answer)) {
      // A refund WeChat never took: the caller asks for it again, with the same out_refund_no
      // (a repeat of a refund number WeChat already has moves no money twice).
      if (saysNotFound(answer)) return 'NOT_FOUND';
      throw new PaymentUnavailableError(`cloud pay queryRefund failed: ${describeFailure(answer)}`);
    }
    const reading = readRefundAnswer(answer, outRefundNo, outTradeNo);
    logShapeOnce('info', 'cloudpay_refund_query_shape', answer, { outcome: reading.outcome });
    if (reading.outcome === 'state') return reading.state;
    // The trade's refunds are listed and ours is not one of them: as REFUNDNOTEXIST, asked for again.
    if (reading.outcome === 'absent') return 'NOT_FOUND';
    // Never PROCESSING by default: a status nobody read must not look like a refund under way.
    logShapeOnce('warn', 'cloudpay_refund_status_unreadable', answer, { outRefundNo, reason: reading.reason });
    return 'UNKNOWN';
  }
}

