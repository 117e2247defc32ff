import { parseXpayPush, XPAY_PUSH_ACK } from '../core/payments/virtual/xpay';

/**
 * The four virtual payment pushes, as the cloud function's `event` holds them, in the field tables
 * of "消息推送" (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html).
 */

const common = { ToUserName: 'gh_0123456789ab', FromUserName: 'o-wechat-official', CreateTime: 1775000100, MsgType: 'event' };

const goodsDeliver = {
  ...common,
  Event: 'xpay_goods_deliver_notify',
  OpenId: 'o-alice',
  OutTradeNo: 'P20260401000001',
  Env: 0,
  WeChatPayInfo: { MchOrderNo: 'mch-1', TransactionId: '4200001', PaidTime: 1775000090 },
  GoodsInfo: { ProductId: 'quick', Quantity: 1, OrigPrice: 100, ActualPrice: 100, Attach: 'order:o1' },
};

const coinPay = {
  ...common,
  Event: 'xpay_coin_pay_notify',
  OpenId: 'o-alice',
  OutTradeNo: 'T20260401000001',
  Env: 1,
  WeChatPayInfo: { MchOrderNo: 'mch-2', TransactionId: '4200002', PaidTime: 1775000095 },
  CoinInfo: { Quantity: 600, OrigPrice: 600, ActualPrice: 600, Attach: 'pack:p600' },
};

const refund = {
  ...common,
  Event: 'xpay_refund_notify',
  OpenId: 'o-alice',
  WxRefundId: 'wxr-1',
  MchRefundId: 'RP20260401000001',
  WxOrderId: 'wx-1',
  MchOrderId: 'P20260401000001',
  RefundFee: 100,
  RetCode: 0,
  RetMsg: '',
  RefundStartTimestamp: 1775000200,
  RefundSuccTimestamp: 1775000260,
  WxpayRefundTransactionId: '5000001',
  RetryTimes: 0,
};

const complaint = {
  ...common,
  Event: 'xpay_complaint_notify',
  OpenId: 'o-alice',
  WxOrderId: 'wx-1',
  MchOrderId: 'P20260401000001',
  ComplaintTime: 1775000300,
  RetryTimes: 1,
  RequestId: 'req-1',
};

describe('the documented pushes', () => {
  test('a paid direct purchase (xpay_goods_deliver_notify)', () => {
    expect(parseXpayPush(goodsDeliver)).toEqual({
      kind: 'goods_deliver',
      toUserName: 'gh_0123456789ab',
      fromUserName: 'o-wechat-official',
      createTime: 1775000100,
      openid: 'o-alice',
      outTradeNo: 'P20260401000001',
      env: 0,
      weChatPayInfo: { mchOrderNo: 'mch-1', transactionId: '4200001', paidTime: 1775000090 },
      goodsInfo: { productId: 'quick', quantity: 1, origPriceFen: 100, actualPriceFen: 100, attach: 'order:o1' },
    });
  });

  test('a paid token top-up (xpay_coin_pay_notify), in the sandbox', () => {
    expect(parseXpayPush(coinPay)).toMatchObject({
      kind: 'coin_pay',
      openid: 'o-alice',
      outTradeNo: 'T20260401000001',
      env: 1,
      coinInfo: { quantity: 600, origPriceFen: 600, actualPriceFen: 600, attach: 'pack:p600' },
    });
  });

  test('a purchase paid through Apple has no WeChatPayInfo ("非微信支付渠道可能没有")', () => {
    const { WeChatPayInfo: _dropped, ...apple } = goodsDeliver;
    const parsed = parseXpayPush(apple);
    expect(parsed.kind).toBe('goods_deliver');
    expect(parsed).not.toHaveProperty('weChatPayInfo');
  });

  test('a finished refund (xpay_refund_notify)', () => {
    expect(parseXpayPush(refund)).toEqual({
      kind: 'refund',
      toUserName: 'gh_0123456789ab',
      fromUserName: 'o-wechat-official',
      createTime: 1775000100,
      openid: 'o-alice',
      wxRefundId: 'wxr-1',
      mchRefundId: 'RP20260401000001',
      wxOrderId: 'wx-1',
      mchOrderId: 'P20260401000001',
      refundFeeFen: 100,
      retCode: 0,
      retMsg: '',
      refundStartTimestamp: 1775000200,
      refundSuccTimestamp: 1775000260,
      wxpayRefundTransactionId: '5000001',
      retryTimes: 0,
    });
  });

  test('a failed refund keeps its code and reason', () => {
    expect(parseXpayPush({ ...refund, RetCode: 1, RetMsg: '余额不足' })).toMatchObject({ kind: 'refund', retCode: 1, retMsg: '余额不足' });
  });

  test('Env and OutTradeNo on a refund push (CloudBase lists them for every push) are kept and checked', () => {
    expect(parseXpayPush({ ...refund, Env: 1, OutTradeNo: 'P20260401000001' })).toMatchObject({ kind: 'refund', env: 1, outTradeNo: 'P20260401000001' });
    expect(parseXpayPush({ ...refund, Env: 3 })).toMatchObject({ kind: 'malformed', problems: ['Env must be 0 or 1'] });
  });

  test('a complaint (xpay_complaint_notify)', () => {
    expect(parseXpayPush(complaint)).toEqual({
      kind: 'complaint',
      toUserName: 'gh_0123456789ab',
      fromUserName: 'o-wechat-official',
      createTime: 1775000100,
      openid: 'o-alice',
      wxOrderId: 'wx-1',
      mchOrderId: 'P20260401000001',
      complaintTime: 1775000300,
      retryTimes: 1,
      requestId: 'req-1',
    });
  });

  test('a group-buy TeamInfo is kept', () => {
    const parsed = parseXpayPush({ ...goodsDeliver, TeamInfo: { ActivityId: 'a1', TeamId: 't1', TeamType: 1, TeamAction: 0 } });
    expect(parsed).toMatchObject({ teamInfo: { activityId: 'a1', teamId: 't1', teamType: 1, teamAction: 0 } });
  });

  test('Env and numbers written as digit strings are read as numbers', () => {
    expect(parseXpayPush({ ...coinPay, Env: '1', CreateTime: '1775000100' })).toMatchObject({ kind: 'coin_pay', env: 1, createTime: 1775000100 });
  });

  test('the acknowledgement is the documented JSON', () => {
    expect(JSON.stringify(XPAY_PUSH_ACK)).toBe('{"ErrCode":0,"ErrMsg":"success"}');
  });
});

describe('pushes that are not acted on', () => {
  test.each([
    ['no OutTradeNo', { ...goodsDeliver, OutTradeNo: undefined }, 'OutTradeNo'],
    ['a price in yuan with decimals', { ...goodsDeliver, GoodsInfo: { ...goodsDeliver.GoodsInfo, ActualPrice: 0.5 } }, 'GoodsInfo.ActualPrice'],
    ['a negative price', { ...coinPay, CoinInfo: { ...coinPay.CoinInfo, ActualPrice: -1 } }, 'CoinInfo.ActualPrice'],
    ['no CoinInfo', { ...coinPay, CoinInfo: undefined }, 'CoinInfo'],
    ['an Env of 2', { ...coinPay, Env: 2 }, 'Env'],
    ['the openid under SDK spelling "openid"', { ...goodsDeliver, OpenId: undefined, openid: 'o-alice' }, 'OpenId'],
    ['a refund without its amount', { ...refund, RefundFee: undefined }, 'RefundFee'],
    ['a complaint without the order', { ...complaint, MchOrderId: '' }, 'MchOrderId'],
  ])('%s is malformed, naming the field', (_what, event, field) => {
    const parsed = parseXpayPush(event);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.problems.some((problem) => problem.startsWith(field))).toBe(true);
  });

  test.each([
    ['another event', { ...common, Event: 'xpay_subscribe_ios_refund_query_notify' }, { kind: 'unknown', msgType: 'event', event: 'xpay_subscribe_ios_refund_query_notify' }],
    ['a text message', { ...common, MsgType: 'text', Content: 'hi' }, { kind: 'unknown', msgType: 'text' }],
    ['a known Event name under another MsgType', { ...goodsDeliver, MsgType: 'text' }, { kind: 'unknown', msgType: 'text', event: 'xpay_goods_deliver_notify' }],
    ['nothing at all', undefined, { kind: 'unknown' }],
    ['a JSON string rather than an object', JSON.stringify(goodsDeliver), { kind: 'unknown' }],
  ])('%s is unknown', (_what, event, expected) => {
    expect(parseXpayPush(event)).toEqual(expected);
  });
});
