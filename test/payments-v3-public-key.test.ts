import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { PaymentUnavailableError } from '../core/payments/provider';
import { callV3, V3TransportError } from '../core/payments/v3/client';
import { readV3Config, V3ConfigError, type V3Config } from '../core/payments/v3/config';
import { openNotification } from '../core/payments/v3/notification';
import { V3PaymentProvider } from '../core/payments/v3/provider';

/**
 * The move from WeChat Pay platform certificates to the WeChat Pay public key (公钥模式).
 * WeChat signs an API answer with the public key only when the request names it in
 * `Wechatpay-Serial: PUB_KEY_ID_…`, and with the platform certificate otherwise
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012154180, https://pay.weixin.qq.com/doc/brand/4015433973).
 * The stand-in for api.mch.weixin.qq.com below checks the merchant's request signature and signs
 * its answers with wechatpay-axios-plugin's Rsa/Formatter, so our client meets code we did not write.
 */

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wechatPublicKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wechatCertificate = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const CERT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const MERCHANT_SERIAL = '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C';
const MCHID = '1900009191';
const APPID = 'wxd678efh567hg6787';
const API_V3_KEY = 'a'.repeat(16) + 'B'.repeat(16);

interface Seen {
  method: string;
  path: string;
  wechatpaySerial: string | undefined;
  merchantSignatureValid: boolean;
}

/** How the stand-in behaves: has the merchant switched to the public key in the merchant platform yet? */
const platform = { publicKeyEnabled: true, seen: [] as Seen[] };

function parseAuthorization(header: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of (header ?? '').matchAll(/(\w+)="([^"]*)"/g)) fields[match[1] as string] = match[2] as string;
  return fields;
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  const requested = req.headers['wechatpay-serial'];
  const wantsPublicKey = typeof requested === 'string';
  // A wrong public key id is refused (400 INVALID_REQUEST); without one, or before the switch, the certificate signs.
  const status = wantsPublicKey && requested !== PUBLIC_KEY_ID ? 400 : res.statusCode;
  const payload = status === 400 ? JSON.stringify({ code: 'INVALID_REQUEST', message: 'Wechatpay-Serial 错误' }) : body;
  const byPublicKey = wantsPublicKey && platform.publicKeyEnabled;
  const timestamp = String(Formatter.timestamp());
  const nonce = Formatter.nonce(32);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Request-ID': randomUUID(),
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': byPublicKey ? PUBLIC_KEY_ID : CERT_SERIAL,
    'Wechatpay-Signature': Rsa.sign(Formatter.response(timestamp, nonce, payload), byPublicKey ? wechatPublicKey.privateKey : wechatCertificate.privateKey),
  });
  res.end(payload);
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const auth = parseAuthorization(req.headers.authorization);
  const merchantSignatureValid =
    auth.serial_no === MERCHANT_SERIAL &&
    Rsa.verify(Formatter.request(req.method ?? '', `${url.pathname}${url.search}`, auth.timestamp ?? '', auth.nonce_str ?? '', raw), auth.signature ?? '', merchant.publicKey);
  const requested = req.headers['wechatpay-serial'];
  platform.seen.push({ method: req.method ?? '', path: url.pathname, wechatpaySerial: typeof requested === 'string' ? requested : undefined, merchantSignatureValid });
  if (!merchantSignatureValid) {
    res.statusCode = 401;
    answer(req, res, JSON.stringify({ code: 'SIGN_ERROR', message: '签名错误' }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v3/pay/transactions/jsapi') {
    const order = JSON.parse(raw) as { out_trade_no: string };
    res.statusCode = 200;
    answer(req, res, JSON.stringify({ prepay_id: `wx${order.out_trade_no.toLowerCase()}` }));
    return;
  }
  const query = url.pathname.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/);
  if (req.method === 'GET' && query) {
    res.statusCode = 200;
    answer(
      req,
      res,
      JSON.stringify({ appid: APPID, mchid: MCHID, out_trade_no: decodeURIComponent(query[1] as string), transaction_id: '4200000000202611250000000001', trade_state: 'SUCCESS', amount: { total: 100, currency: 'CNY' } }),
    );
    return;
  }
  res.statusCode = 404;
  answer(req, res, JSON.stringify({ code: 'NOT_FOUND', message: 'no such route' }));
}

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  platform.publicKeyEnabled = true;
  platform.seen = [];
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    WECHATPAY_APPID: APPID,
    WECHATPAY_MCHID: MCHID,
    WECHATPAY_MERCHANT_SERIAL: MERCHANT_SERIAL,
    WECHATPAY_MERCHANT_PRIVATE_KEY: pkcs8(merchant.privateKey),
    WECHATPAY_API_V3_KEY: API_V3_KEY,
    WECHATPAY_NOTIFY_URL: 'https://example.com/pay/notify',
    WECHATPAY_BASE_URL: baseUrl,
    ...extra,
  };
}

const publicKeyOnly = () => readV3Config(env({ WECHATPAY_PLATFORM_SERIAL: PUBLIC_KEY_ID, WECHATPAY_PLATFORM_PUBLIC_KEY: pem(wechatPublicKey.publicKey) }));
const certificateOnly = () => readV3Config(env({ WECHATPAY_PLATFORM_SERIAL: CERT_SERIAL, WECHATPAY_PLATFORM_PUBLIC_KEY: pem(wechatCertificate.publicKey) }));
const both = () =>
  readV3Config(
    env({
      WECHATPAY_PLATFORM_SERIAL: PUBLIC_KEY_ID,
      WECHATPAY_PLATFORM_PUBLIC_KEY: pem(wechatPublicKey.publicKey),
      WECHATPAY_PLATFORM_CERT_SERIAL: CERT_SERIAL,
      WECHATPAY_PLATFORM_CERT: pem(wechatCertificate.publicKey),
    }),
  );

const prepay = (config: V3Config) =>
  new V3PaymentProvider(config).createPrepay({
    outTradeNo: `AI${Date.now()}PK`,
    amountFen: 100,
    description: 'AI快速回答',
    payer: { openid: 'o-payer', clientIp: '127.0.0.1' },
    expiresAt: Date.now() + 600_000,
  });

/** A notification signed as WeChat Pay signs it, under the given serial and key. */
function notification(serial: string, key: KeyObject): { headers: Record<string, string>; body: Buffer } {
  const iv = Formatter.nonce(12);
  const plain = { appid: APPID, mchid: MCHID, out_trade_no: 'AI20261125PK', transaction_id: '4200000000202611250000000002', trade_state: 'SUCCESS', amount: { total: 100 } };
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: '2026-11-25T10:00:00+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: Aes.AesGcm.encrypt(JSON.stringify(plain), API_V3_KEY, iv, 'transaction'), associated_data: 'transaction', nonce: iv },
  });
  const timestamp = String(Formatter.timestamp());
  const nonce = Formatter.nonce(32);
  return {
    headers: { 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': nonce, 'Wechatpay-Serial': serial, 'Wechatpay-Signature': Rsa.sign(Formatter.response(timestamp, nonce, body), key) },
    body: Buffer.from(body, 'utf8'),
  };
}

describe('a merchant on the WeChat Pay public key (PUB_KEY_ID_…)', () => {
  test('names the public key on every request and accepts the answers WeChat signs with it', async () => {
    const config = publicKeyOnly();
    expect(config.publicKeyId).toBe(PUBLIC_KEY_ID);
    const payment = await prepay(config);
    expect(payment.package).toMatch(/^prepay_id=wx/);
    const status = await new V3PaymentProvider(config).queryOrder('AI20261125QUERY');
    expect(status).toMatchObject({ state: 'SUCCESS', amountFen: 100 });
    expect(platform.seen).toEqual([
      { method: 'POST', path: '/v3/pay/transactions/jsapi', wechatpaySerial: PUBLIC_KEY_ID, merchantSignatureValid: true },
      { method: 'GET', path: '/v3/pay/transactions/out-trade-no/AI20261125QUERY', wechatpaySerial: PUBLIC_KEY_ID, merchantSignatureValid: true },
    ]);
  });

  test('an answer signed with a platform certificate it does not hold is refused, not believed', async () => {
    // What happened before: no Wechatpay-Serial on the request, so WeChat signed with the certificate.
    const { publicKeyId: _dropped, ...withoutId } = publicKeyOnly();
    await expect(callV3(withoutId, 'GET', `/v3/pay/transactions/out-trade-no/AI20261125QUERY?mchid=${MCHID}`)).rejects.toThrow(V3TransportError);
    await expect(callV3(withoutId, 'GET', `/v3/pay/transactions/out-trade-no/AI20261125QUERY?mchid=${MCHID}`)).rejects.toThrow(/unknown_serial/);
    expect(platform.seen.every((seen) => seen.wechatpaySerial === undefined)).toBe(true);
  });

  test('a public key id WeChat does not know is a payment error, not an order', async () => {
    const config = readV3Config(env({ WECHATPAY_PLATFORM_SERIAL: `${PUBLIC_KEY_ID}9`, WECHATPAY_PLATFORM_PUBLIC_KEY: pem(wechatPublicKey.publicKey) }));
    await expect(prepay(config)).rejects.toThrow(PaymentUnavailableError);
    expect(platform.seen.map((seen) => seen.wechatpaySerial)).toEqual([`${PUBLIC_KEY_ID}9`]);
  });

  test('notifications signed with the public key verify; one claiming the id with another key does not', () => {
    const config = publicKeyOnly();
    const good = notification(PUBLIC_KEY_ID, wechatPublicKey.privateKey);
    expect(openNotification(config, good.headers, good.body, Date.now())).toMatchObject({ ok: true, notification: { outTradeNo: 'AI20261125PK', amountFen: 100 } });
    const forged = notification(PUBLIC_KEY_ID, wechatCertificate.privateKey);
    expect(openNotification(config, forged.headers, forged.body, Date.now())).toEqual({ ok: false, status: 401, reason: 'bad_signature' });
    const byCertificate = notification(CERT_SERIAL, wechatCertificate.privateKey);
    expect(openNotification(config, byCertificate.headers, byCertificate.body, Date.now())).toEqual({ ok: false, status: 401, reason: 'unknown_serial' });
  });

  test('only one public key can be configured at a time', () => {
    expect(() =>
      readV3Config(
        env({
          WECHATPAY_PLATFORM_SERIAL: PUBLIC_KEY_ID,
          WECHATPAY_PLATFORM_PUBLIC_KEY: pem(wechatPublicKey.publicKey),
          WECHATPAY_PLATFORM_CERT_SERIAL: `${PUBLIC_KEY_ID}1`,
          WECHATPAY_PLATFORM_CERT: pem(wechatCertificate.publicKey),
        }),
      ),
    ).toThrow(V3ConfigError);
  });
});

describe('a merchant on platform certificates, and one moving to the public key', () => {
  test('certificate mode sends no Wechatpay-Serial and verifies certificate-signed answers', async () => {
    const config = certificateOnly();
    expect(config.publicKeyId).toBeUndefined();
    expect((await prepay(config)).signType).toBe('RSA');
    expect(platform.seen).toEqual([{ method: 'POST', path: '/v3/pay/transactions/jsapi', wechatpaySerial: undefined, merchantSignatureValid: true }]);
  });

  test('while the switch is not yet made, answers still come from the certificate and verify', async () => {
    platform.publicKeyEnabled = false;
    const config = both();
    expect(config.publicKeyId).toBe(PUBLIC_KEY_ID);
    await expect(prepay(config)).resolves.toMatchObject({ signType: 'RSA' });
    expect(platform.seen.map((seen) => seen.wechatpaySerial)).toEqual([PUBLIC_KEY_ID]);
  });

  test('after the switch, answers come from the public key; notifications from either key verify during the move', async () => {
    const config = both();
    await expect(prepay(config)).resolves.toMatchObject({ signType: 'RSA' });
    for (const [serial, key] of [
      [PUBLIC_KEY_ID, wechatPublicKey.privateKey],
      [CERT_SERIAL, wechatCertificate.privateKey],
    ] as const) {
      const signed = notification(serial, key);
      expect(openNotification(config, signed.headers, signed.body, Date.now()).ok).toBe(true);
    }
  });
});
