import type { CloudPayApi } from '../platform/wxCloud';
import { newNonce } from '../orders/ids';
import { readField } from './fields';
import { formatCompactBeijingTime } from '../time';
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

function describeFailure(answer: Answer): string {
  return [text(answer, 'returnMsg'), text(answer, 'errCode'), text(answer, 'errCodeDes')].filter(Boolean).join(' / ') || 'unknown';
}

const TRADE_STATES: readonly TradeState[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];
const REFUND_STATES: readonly RefundState[] = ['SUCCESS', 'PROCESSING', 'CLOSED', 'ABNORMAL'];

/** CloudBase cloud pay through `wx-server-sdk` (`cloud.cloudPay`). */
export class CloudPayProvider implements PaymentProvider {
  readonly mode = 'cloudpay';

  constructor(
    private readonly api: CloudPayApi,
    private readonly settings: CloudPaySettings,
  ) {}

  async createPrepay(request: PrepayRequest): Promise<RequestPaymentParams> {
    const answer = await this.api.unifiedOrder({
      functionName: this.settings.payCallbackFunction,
      envId: this.settings.envId,
      subMchId: this.settings.subMchId,
      nonceStr: newNonce(),
      body: request.description,
      outTradeNo: request.outTradeNo,
      totalFee: request.amountFen,
      spbillCreateIp: request.clientIp,
      tradeType: 'JSAPI',
      timeExpire: formatCompactBeijingTime(request.expiresAt),
      ...(request.attach ? { attach: request.attach } : {}),
    });
    const payment = readField(answer, 'payment') as Record<string, unknown> | undefined;
    if (!succeeded(answer) || !payment) {
      throw new PaymentUnavailableError(`cloud pay unifiedOrder failed: ${describeFailure(answer)}`);
    }
    const signType = String(payment.signType ?? 'MD5');
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
      if (text(answer, 'errCode') === 'ORDERNOTEXIST') return { state: 'NOT_FOUND' };
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
    return succeeded(answer) || text(answer, 'errCode') === 'ORDERCLOSED';
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

  async queryRefund(outRefundNo: string): Promise<RefundState> {
    const answer = await this.api.queryRefund({
      sub_mch_id: this.settings.subMchId,
      out_refund_no: outRefundNo,
      nonce_str: newNonce(),
    });
    if (!succeeded(answer)) {
      if (text(answer, 'errCode') === 'REFUNDNOTEXIST') return 'NOT_FOUND';
      throw new PaymentUnavailableError(`cloud pay queryRefund failed: ${describeFailure(answer)}`);
    }
    const state = (text(answer, 'refundStatus0') ?? text(answer, 'refundStatus')) as RefundState | undefined;
    return state && REFUND_STATES.includes(state) ? state : 'PROCESSING';
  }
}

