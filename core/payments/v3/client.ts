import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { authorization, signedHeaders, verifySigned } from './crypto';
import type { V3Config } from './config';

export interface V3Response {
  status: number;
  body: Record<string, unknown>;
}

/** The transport failed or the answer could not be trusted: the outcome is unknown. */
export class V3TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'V3TransportError';
  }
}

const REQUEST_TIMEOUT_MS = 5_000;

/**
 * One signed v3 call. The answer is believed only when its own `Wechatpay-*` signature verifies
 * against the platform key its `Wechatpay-Serial` names (as WeChat asks of merchants). With a
 * WeChat Pay public key configured, the request names it in `Wechatpay-Serial`: WeChat signs the
 * answer with the public key only then, and with the platform certificate otherwise
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012154180; the same rule for brand APIs:
 * https://pay.weixin.qq.com/doc/brand/4015433973). A merchant that has not switched yet still gets
 * certificate-signed answers, which verify as long as that certificate is configured too.
 * node:http(s) rather than fetch, since CloudBase still offers Node 16.
 */
export function callV3(config: V3Config, method: 'GET' | 'POST', pathWithQuery: string, payload?: Record<string, unknown>, now: () => number = Date.now): Promise<V3Response> {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const url = new URL(`${config.baseUrl}${pathWithQuery}`);
  const signedPath = `${url.pathname}${url.search}`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          Accept: 'application/json',
          'User-Agent': 'paid-ai-wechat/1.0',
          Authorization: authorization({ mchId: config.mchId, serial: config.merchantSerial, key: config.merchantPrivateKey, method, pathWithQuery: signedPath, body, now: now() }),
          ...(config.publicKeyId ? { 'Wechatpay-Serial': config.publicKeyId } : {}),
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          const problem = verifySigned(signedHeaders(res.headers as Record<string, unknown>), raw, config.platformKeys, now());
          if (problem && status < 500) {
            reject(new V3TransportError(`WeChat Pay answer to ${method} ${url.pathname} failed verification (${problem}, HTTP ${status})`));
            return;
          }
          let parsed: unknown = {};
          if (raw.length > 0) {
            try {
              parsed = JSON.parse(raw.toString('utf8'));
            } catch {
              parsed = {};
            }
          }
          const record = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
          resolve({ status, body: record });
        });
      },
    );
    req.on('timeout', () => req.destroy(new V3TransportError(`WeChat Pay did not answer ${method} ${url.pathname} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => reject(error instanceof V3TransportError ? error : new V3TransportError(`WeChat Pay ${method} ${url.pathname}: ${error.message}`)));
    req.end(body);
  });
}
