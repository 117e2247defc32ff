import { log } from '../../log';
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
  type TradeStatus,
  type VirtualPaymentParams,
} from '../provider';
import { refundOrderIdFor, tradeOfRefundOrderId } from './ids';
import {
  isAlreadyRefunded,
  isLeftFeeMismatch,
  isOutcomeUnknown,
  isRefundInProgress,
  parseXpayPush,
  saysNotFound,
  refundProgressOf,
  XPAY_ORDER_STATUS,
  type XpayClient,
  type XpayOrder,
} from './xpay';

/** Who paid for an order or a top-up, as our records hold it (sealed): query_order and refund_order name the payer. */
export type PayerOf = (outTradeNo: string) => Promise<string | null>;

/**
 * query_order's status of a payment order, in the terms of our provider interface
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#query-order):
 * 0 init and 1 created are unpaid; 2 paid, 3 delivering and 4 delivered are paid; 5 refunded and
 * 8 user refund done are refunded; 6 closed; 7 "refund failed" keeps the payment.
 */
function tradeStateOf(order: XpayOrder): TradeStatus['state'] {
  switch (order.status) {
    case XPAY_ORDER_STATUS.init:
    case XPAY_ORDER_STATUS.created:
      return 'NOTPAY';
    case XPAY_ORDER_STATUS.paid:
    case XPAY_ORDER_STATUS.delivering:
    case XPAY_ORDER_STATUS.delivered:
    case XPAY_ORDER_STATUS.refundFailed:
      return 'SUCCESS';
    case XPAY_ORDER_STATUS.refunded:
    case XPAY_ORDER_STATUS.userRefundDone:
      return 'REFUND';
    case XPAY_ORDER_STATUS.closed:
      return 'CLOSED';
    default:
      return 'PAYERROR';
  }
}

function unavailable(what: string, error: unknown): PaymentUnavailableError {
  return new PaymentUnavailableError(`virtual payment ${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Mini program virtual payment's direct purchase (道具直购, `short_series_goods`): a tier sold as
 * an item, one answer per purchase. The page opens WeChat's sheet with the parameters signed here;
 * WeChat confirms the payment with the delivery push (`xpay_goods_deliver_notify`, a hint) and
 * `query_order` (the evidence); a failed answer is refunded with `refund_order`, asynchronously,
 * followed with `query_order` on the refund's own id. Tokens (spending, returning, topping up) are
 * ./wallet.ts.
 */
export class VirtualPaymentProvider implements PaymentProvider {
  readonly mode = 'virtual';

  constructor(
    private readonly xpay: XpayClient,
    private readonly payerOf: PayerOf,
  ) {}

  async createPrepay(request: PrepayRequest): Promise<VirtualPaymentParams> {
    if (!request.productId) throw new PaymentUnavailableError('this tier is not sold as an item');
    if (!request.payer.sessionKey) throw new PaymentUnavailableError('the payer has no session key to sign with');
    return this.xpay.signVirtualPayment(
      {
        mode: 'short_series_goods',
        productId: request.productId,
        goodsPrice: request.amountFen,
        buyQuantity: 1,
        outTradeNo: request.outTradeNo,
        attach: request.attach ?? '',
      },
      request.payer.sessionKey,
    );
  }

  private async payer(outTradeNo: string): Promise<string> {
    const openid = await this.payerOf(outTradeNo);
    if (!openid) throw new PaymentUnavailableError(`the payer of ${outTradeNo} is no longer known`);
    return openid;
  }

  private async order(outTradeNo: string, orderId = outTradeNo): Promise<XpayOrder | null> {
    const openid = await this.payer(outTradeNo);
    try {
      return await this.xpay.queryOrder({ openid, orderId });
    } catch (error) {
      if (saysNotFound(error)) return null;
      throw unavailable('query_order', error);
    }
  }

  async queryOrder(outTradeNo: string): Promise<TradeStatus> {
    const order = await this.order(outTradeNo);
    if (!order) return { state: 'NOT_FOUND' };
    if (order.orderType !== 0) throw new PaymentUnavailableError(`query_order answered a refund order for ${outTradeNo}`);
    return {
      state: tradeStateOf(order),
      // The price charged (order_fee): a coupon of WeChat's lowers what the user paid, not the price.
      amountFen: order.orderFeeFen,
      ...(order.wxOrderId ? { transactionId: order.wxOrderId } : {}),
    };
  }

  /**
   * notify_provide_goods: a purchase whose delivery push was never acknowledged (lost, or the
   * payment found by query_order first) is reported delivered, as WeChat asks for exactly that case
   * ("正常通过xpay_goods_deliver_notify消息推送返回成功就不需要调用这个api接口。这个接口用于异常情况推送不成功时使用",
   * #notify-provide-goods).
   */
  async confirmDelivery(outTradeNo: string): Promise<void> {
    try {
      await this.xpay.notifyProvideGoods({ orderId: outTradeNo });
    } catch (error) {
      throw unavailable('notify_provide_goods', error);
    }
  }

  /**
   * There is no close API: an order WeChat created when the sheet opened stays payable while the
   * sheet is open. So it counts as closed once WeChat shows it closed (6) or never saw it.
   */
  async closeOrder(outTradeNo: string): Promise<boolean> {
    const order = await this.order(outTradeNo);
    return order === null || order.status === XPAY_ORDER_STATUS.closed;
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    const openid = await this.payer(request.outTradeNo);
    const refundOrderId = refundOrderIdFor(request.outTradeNo);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const paid = await this.order(request.outTradeNo);
      if (!paid) return { accepted: false, message: 'WeChat has no such paid order' };
      try {
        await this.xpay.refundOrder({
          openid,
          orderId: request.outTradeNo,
          refundOrderId,
          // What is left to refund, as query_order says it (268490016 otherwise).
          leftFeeFen: paid.leftFeeFen ?? paid.paidFeeFen,
          refundFeeFen: request.refundFen,
          // refund_reason 0 "暂无描述" (the reason goes in biz_meta); req_from 3 "其它": the system asks, not a person or the user.
          refundReason: '0',
          reqFrom: '3',
          bizMeta: request.reason.slice(0, 100),
        });
        return { accepted: true, state: 'PROCESSING' };
      } catch (error) {
        // The same refund again, or one already made: it is under way or done.
        if (isRefundInProgress(error)) return { accepted: true, state: 'PROCESSING' };
        if (isAlreadyRefunded(error)) return { accepted: true, state: 'SUCCESS' };
        // left_fee moved (a refund in between): read it again, once.
        if (isLeftFeeMismatch(error) && attempt === 0) continue;
        if (isOutcomeUnknown(error)) throw unavailable('refund_order', error);
        return { accepted: false, message: error instanceof Error ? error.message.slice(0, 200) : String(error) };
      }
    }
    return { accepted: false, message: 'left_fee kept changing' };
  }

  /** Our refund number is `R` + outTradeNo (core/orders/ids.ts); WeChat knows the refund by its refund_order_id. */
  async queryRefund(outRefundNo: string): Promise<RefundState> {
    const outTradeNo = /^R(AI[0-9A-Za-z]{30})$/.exec(outRefundNo)?.[1];
    if (!outTradeNo) return 'NOT_FOUND';
    const refund = await this.order(outTradeNo, refundOrderIdFor(outTradeNo));
    if (!refund) return 'NOT_FOUND';
    const progress = refundProgressOf(refund);
    return progress === 'succeeded' ? 'SUCCESS' : progress === 'failed' ? 'ABNORMAL' : 'PROCESSING';
  }

  /**
   * Virtual payment's pushes (消息推送 to the `xpayNotify` function). None is signed, so each is a
   * hint: the delivery push and the top-up push are confirmed with query_order, a refund push with
   * query_order on the refund's id. A push for the other env (sandbox vs live) is not ours.
   */
  readNotice(channel: NoticeChannel, input: NoticeInput): NoticeReading {
    if (channel !== 'xpay_push') return { kind: 'not_mine' };
    const push = parseXpayPush(input.event);
    switch (push.kind) {
      case 'goods_deliver':
        if (push.env !== this.xpay.env) return { kind: 'ignored', reason: `env ${push.env}` };
        return {
          kind: 'payment',
          outTradeNo: push.outTradeNo,
          amountFen: push.goodsInfo.origPriceFen,
          payerOpenid: push.openid,
          ...(push.weChatPayInfo?.transactionId ? { transactionId: push.weChatPayInfo.transactionId } : {}),
          verified: false,
          source: 'xpay_goods_deliver_notify',
        };
      case 'coin_pay':
        if (push.env !== this.xpay.env) return { kind: 'ignored', reason: `env ${push.env}` };
        return { kind: 'top_up', outTradeNo: push.outTradeNo, amountFen: push.coinInfo.origPriceFen, payerOpenid: push.openid, verified: false, source: 'xpay_coin_pay_notify' };
      case 'refund': {
        if (push.env !== undefined && push.env !== this.xpay.env) return { kind: 'ignored', reason: `env ${push.env}` };
        const outTradeNo = tradeOfRefundOrderId(push.mchRefundId) ?? push.mchOrderId;
        return { kind: 'refund', outTradeNo, outRefundNo: `R${outTradeNo}`, verified: false, source: 'xpay_refund_notify' };
      }
      case 'complaint':
        return {
          kind: 'complaint',
          outTradeNo: push.mchOrderId,
          payerOpenid: push.openid,
          detail: { wxOrderId: push.wxOrderId, complaintTime: push.complaintTime, ...(push.complaintId ? { complaintId: push.complaintId } : {}), ...(push.requestId ? { requestId: push.requestId } : {}) },
          source: 'xpay_complaint_notify',
        };
      case 'malformed':
        log('warn', 'xpay_push_malformed', { event: push.event, problems: push.problems.slice(0, 5) });
        return { kind: 'ignored', reason: 'malformed' };
      case 'unknown':
        return { kind: 'ignored', reason: `not a virtual payment push (${push.event ?? push.msgType ?? 'no event'})` };
    }
  }
}
