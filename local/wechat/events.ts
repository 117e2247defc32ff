import { createHash } from 'node:crypto';
import type { PayOrder, RefundOrder } from './ledger';
import type { XpayAccount } from './settings';

/**
 * The push events WeChat sends for virtual payment, field for field as the VP page's 消息推送 tables
 * give them (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#消息推送;
 * the same names in fudiwei/DotNetCore.SKIT.FlurlHttpClient.Wechat `Events/XPay/*.cs` and its
 * `EventSamples/XPay/*.json`; silenceper/wechat's `openid`/`env`/`WechatPayInfo` spellings and its
 * coin push's `GoodsInfo` disagree with both and are not followed). `TeamInfo` (group buying) is
 * never sent: nothing here sells in groups.
 */

/** FromUserName: "该事件消息的openid，道具发货场景固定为微信官方的openid" — one fixed sender per app, not the buyer. */
export function officialSender(account: XpayAccount): string {
  return `o${createHash('sha256').update(`wechat-official:${account.appId}`).digest('base64url').slice(0, 27)}`;
}

function header(account: XpayAccount, event: string, openid: string, at: number): Record<string, unknown> {
  return {
    ToUserName: account.originalId,
    FromUserName: officialSender(account),
    CreateTime: Math.floor(at / 1000),
    MsgType: 'event',
    Event: event,
    OpenId: openid,
  };
}

function wechatPayInfo(order: PayOrder): Record<string, unknown> {
  return { MchOrderNo: order.channelOrderId ?? '', TransactionId: order.wxpayOrderId ?? '', PaidTime: Math.floor((order.paidTime ?? 0) / 1000) };
}

/** xpay_goods_deliver_notify: an item was paid for; deliver it and answer `{ErrCode: 0}`. Prices are the order's totals in fen. */
export function goodsDeliverEvent(account: XpayAccount, order: PayOrder, at: number): Record<string, unknown> {
  return {
    ...header(account, 'xpay_goods_deliver_notify', order.openid, at),
    OutTradeNo: order._id,
    Env: order.env,
    WeChatPayInfo: wechatPayInfo(order),
    GoodsInfo: { ProductId: order.productId ?? '', Quantity: order.quantity, OrigPrice: order.unitPriceFen * order.quantity, ActualPrice: order.paidFee, Attach: order.attach },
  };
}

/** xpay_coin_pay_notify: a token top-up was paid for (the tokens are already in the account). */
export function coinPayEvent(account: XpayAccount, order: PayOrder, at: number): Record<string, unknown> {
  return {
    ...header(account, 'xpay_coin_pay_notify', order.openid, at),
    OutTradeNo: order._id,
    Env: order.env,
    WeChatPayInfo: wechatPayInfo(order),
    CoinInfo: { Quantity: order.quantity, OrigPrice: order.unitPriceFen * order.quantity, ActualPrice: order.paidFee, Attach: order.attach },
  };
}

/** xpay_refund_notify: a refund started by refund_order ended (RetCode 0 succeeded, else failed with RetMsg). No Env field. */
export function refundEvent(account: XpayAccount, refund: RefundOrder, pay: PayOrder, at: number): Record<string, unknown> {
  return {
    ...header(account, 'xpay_refund_notify', refund.openid, at),
    WxRefundId: refund.wxOrderId,
    MchRefundId: refund._id,
    WxOrderId: pay.wxOrderId,
    MchOrderId: pay._id,
    RefundFee: refund.refundFee,
    RetCode: refund.retCode ?? 0,
    RetMsg: refund.retMsg ?? '',
    RefundStartTimestamp: Math.floor(refund.createTime / 1000),
    RefundSuccTimestamp: refund.status === 5 ? Math.floor((refund.paidTime ?? at) / 1000) : 0,
    WxpayRefundTransactionId: refund.wxpayRefundId ?? '',
    RetryTimes: 0,
  };
}
