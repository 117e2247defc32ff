import { createHmac } from 'node:crypto';
import { WechatRequestError } from '../core/platform/wechatApi';
import { serverPaySig, SigningKeyError, userSignature, virtualPaySig } from '../core/payments/virtual/signatures';
import { signVirtualPayment } from '../core/payments/virtual/signData';
import { XpayConfigError } from '../core/payments/virtual/settings';

/**
 * The virtual payment signatures against the known-answer vectors WeChat and an SDK publish. If any
 * of these fails, every payment and every /xpay/ call is refused by WeChat with 268490003.
 */

describe('published known-answer vectors', () => {
  // "参考的python脚本" of https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html
  // asserts both values; the body is written with the spaces python's json.dumps puts in.
  const body = '{"openid": "xxx", "user_ip": "127.0.0.1", "env": 0}';

  test('WeChat: pay_sig of query_user_balance with AppKey 12345', () => {
    expect(serverPaySig('12345', '/xpay/query_user_balance', body)).toBe('c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5');
  });

  test('WeChat: user signature with session_key 9hAb/NEYUlkaMBEsmFgzig== (the key string itself, not its base64 bytes)', () => {
    expect(userSignature('9hAb/NEYUlkaMBEsmFgzig==', body)).toBe('089d9e8dc5d308977360c4b79ec600a93d736802802a807d634192328032f6c7');
  });

  // binarywang/WxJava weixin-java-miniapp/src/test/java/cn/binarywang/wx/miniapp/bean/xpay/WxMaXPayRequestVirtualPaymentTest.java
  const signData = '{"offerId":"1450019686","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"product_001","goodsPrice":100,"outTradeNo":"order12345","attach":"attach中文"}';

  test('WxJava: client paySig of a direct purchase with AppKey app_key_123 (UTF-8 bytes of 中文)', () => {
    expect(virtualPaySig('app_key_123', signData)).toBe('52b0abda3c933b0273d328b5c5102ee9ab9249309474ddcdf5e9ce0f80b23532');
  });

  test('WxJava: client user signature with session_key session_key_123', () => {
    expect(userSignature('session_key_123', signData)).toBe('602f76d9cadf36c232f7f6c1faa5fe295b0f955d188049997d0df699c0619c86');
  });

  test('signVirtualPayment writes that very signData for that purchase, and signs it to the same values', () => {
    const signed = signVirtualPayment(
      { offerId: '1450019686', env: 0, appKeys: { live: 'app_key_123' } },
      { mode: 'short_series_goods', productId: 'product_001', goodsPrice: 100, outTradeNo: 'order12345', attach: 'attach中文' },
      'session_key_123',
    );
    expect(signed).toEqual({
      signData,
      mode: 'short_series_goods',
      paySig: '52b0abda3c933b0273d328b5c5102ee9ab9249309474ddcdf5e9ce0f80b23532',
      signature: '602f76d9cadf36c232f7f6c1faa5fe295b0f955d188049997d0df699c0619c86',
    });
  });
});

describe('signing a token top-up', () => {
  const hmac = (key: string, message: string) => createHmac('sha256', key).update(message, 'utf8').digest('hex');

  test('a short_series_coin signData has no item fields, buyQuantity is the token count, and the sandbox key signs env 1', () => {
    const signed = signVirtualPayment(
      { offerId: '1450019686', env: 1, appKeys: { live: 'live-key', sandbox: 'sandbox-key' } },
      { mode: 'short_series_coin', buyQuantity: 600, outTradeNo: 'T20260401abcdef', attach: 'pack:p600' },
      'sk',
    );
    expect(signed.signData).toBe('{"offerId":"1450019686","buyQuantity":600,"env":1,"currencyType":"CNY","outTradeNo":"T20260401abcdef","attach":"pack:p600"}');
    expect(signed.mode).toBe('short_series_coin');
    expect(signed.paySig).toBe(hmac('sandbox-key', `requestVirtualPayment&${signed.signData}`));
    expect(signed.signature).toBe(hmac('sk', signed.signData));
  });

  test('signing for an env whose AppKey is not configured is refused', () => {
    expect(() =>
      signVirtualPayment({ offerId: '1', env: 1, appKeys: { live: 'live-key' } }, { mode: 'short_series_coin', buyQuantity: 1, outTradeNo: 'T20260401abcdef', attach: '' }, 'sk'),
    ).toThrow(XpayConfigError);
  });
});

describe('what is refused before anything is signed', () => {
  const credentials = { offerId: '1450019686', env: 0 as const, appKeys: { live: 'k' } };
  const goods = { mode: 'short_series_goods' as const, productId: 'quick', goodsPrice: 100, outTradeNo: 'order12345', attach: '' };

  test.each([
    ['too short', 'o1234'],
    ['too long', 'o'.repeat(33)],
    ['starting with _', '_order1234'],
    ['with a space', 'order 12345'],
    ['with a character outside _-|*@', 'order#12345'],
  ])('an outTradeNo %s', (_why, outTradeNo) => {
    expect(() => signVirtualPayment(credentials, { ...goods, outTradeNo }, 'sk')).toThrow(WechatRequestError);
  });

  test('an outTradeNo of the allowed symbols passes', () => {
    expect(signVirtualPayment(credentials, { ...goods, outTradeNo: 'a-b|c*d@e_f' }, 'sk').signData).toContain('"outTradeNo":"a-b|c*d@e_f"');
  });

  test.each([
    ['zero', 0],
    ['negative', -100],
    ['fractional (yuan, not fen)', 9.9],
    ['not a number', '100' as unknown as number],
  ])('a goodsPrice that is %s', (_why, goodsPrice) => {
    expect(() => signVirtualPayment(credentials, { ...goods, goodsPrice }, 'sk')).toThrow(WechatRequestError);
  });

  test('a token count of zero', () => {
    expect(() => signVirtualPayment(credentials, { mode: 'short_series_coin', buyQuantity: 0, outTradeNo: 'order12345', attach: '' }, 'sk')).toThrow(WechatRequestError);
  });

  test('a productId outside [0-9A-Za-z_-]', () => {
    expect(() => signVirtualPayment(credentials, { ...goods, productId: 'quick tier' }, 'sk')).toThrow(WechatRequestError);
  });

  test('an empty AppKey or session_key', () => {
    expect(() => virtualPaySig('', '{}')).toThrow(SigningKeyError);
    expect(() => userSignature(' ', '{}')).toThrow(SigningKeyError);
    expect(() => signVirtualPayment(credentials, goods, '')).toThrow(SigningKeyError);
  });

  test('a server uri with its query string (WeChat signs the path alone)', () => {
    expect(() => serverPaySig('k', '/xpay/query_order?access_token=t', '{}')).toThrow(TypeError);
    expect(() => serverPaySig('k', 'xpay/query_order', '{}')).toThrow(TypeError);
  });
});
