import { CLIENT_SIGN_URI, paySignature, signatureMatches, userSignature } from '../local/wechat/sign';

// The emulator verifies with its own implementation of WeChat's two signatures; these are the
// published known answers it must reproduce.

test('pay_sig and signature of the server API vector on WeChat\'s virtual payment page (python calc_pay_sig / calc_signature)', () => {
  // https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#参考的python脚本
  const body = '{"openid": "xxx", "user_ip": "127.0.0.1", "env": 0}';
  expect(paySignature('12345', '/xpay/query_user_balance', body)).toBe('c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5');
  expect(userSignature('9hAb/NEYUlkaMBEsmFgzig==', body)).toBe('089d9e8dc5d308977360c4b79ec600a93d736802802a807d634192328032f6c7');
  // The same bytes as a Buffer sign the same; a re-serialisation of "the same" JSON does not.
  expect(paySignature('12345', '/xpay/query_user_balance', Buffer.from(body))).toBe('c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5');
  expect(paySignature('12345', '/xpay/query_user_balance', JSON.stringify(JSON.parse(body)))).not.toBe('c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5');
});

test('paySig and signature of the wx.requestVirtualPayment vector (binarywang/WxJava WxMaXPayRequestVirtualPaymentTest), UTF-8 throughout', () => {
  const signData = '{"offerId":"1450019686","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"product_001","goodsPrice":100,"outTradeNo":"order12345","attach":"attach中文"}';
  expect(paySignature('app_key_123', CLIENT_SIGN_URI, signData)).toBe('52b0abda3c933b0273d328b5c5102ee9ab9249309474ddcdf5e9ce0f80b23532');
  expect(userSignature('session_key_123', signData)).toBe('602f76d9cadf36c232f7f6c1faa5fe295b0f955d188049997d0df699c0619c86');
});

test('a signature is compared exactly: upper-case hex, another length or a non-string is refused', () => {
  const good = userSignature('session_key_123', 'x');
  expect(signatureMatches(good, good)).toBe(true);
  expect(signatureMatches(good, good.toUpperCase())).toBe(false);
  expect(signatureMatches(good, good.slice(1))).toBe(false);
  expect(signatureMatches(good, undefined)).toBe(false);
  expect(signatureMatches(good, null)).toBe(false);
});
