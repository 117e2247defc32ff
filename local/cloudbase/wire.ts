import type { IncomingMessage } from 'node:http';
import Busboy from 'busboy';
import { HttpError, parseJsonText, readBody } from '../http';

/** The fields of one CloudBase server API request: JSON values, or (multipart) strings and bytes. */
export type ApiParams = Record<string, unknown>;

/**
 * Reads a request as @cloudbase/node-sdk sends it (dist/utils/tcbapirequester.js, `makeReqOpts`;
 * dist/utils/request-core.js, `buildHttpRequestInfo`): a JSON body for database and function
 * actions, `multipart/form-data` (the `form-data` package) for `wx.openApi` and `wx.wxPayApi`,
 * whose `requestData` / `apiOptions` fields are bytes.
 */
export async function readApiRequest(req: IncomingMessage): Promise<ApiParams> {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) return readMultipart(req);
  const parsed = parseJsonText((await readBody(req)).toString('utf8'));
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as ApiParams;
  throw new HttpError(400, 'CloudBase API requests are JSON or multipart/form-data');
}

function readMultipart(req: IncomingMessage): Promise<ApiParams> {
  return new Promise((resolve, reject) => {
    const params: ApiParams = {};
    const parser = Busboy({ headers: req.headers, limits: { fileSize: 4_000_000, fields: 50 } });
    parser.on('field', (name, value) => {
      params[name] = value;
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        params[name] = Buffer.concat(chunks);
      });
    });
    parser.on('close', () => resolve(params));
    parser.on('error', reject);
    req.pipe(parser);
  });
}

// The same signer the SDK uses; the package ships no types for its entry point.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sign } = require('@cloudbase/signature-nodejs') as {
  sign: (options: { secretId: string; secretKey: string; method: string; url: string; params: unknown; headers: Record<string, string>; withSignedParams: boolean; timestamp: number }) => { authorization: string };
};

const AUTHORIZATION = /^TC3-HMAC-SHA256 Credential=([^/]+)\/[^,]+,(?: SignedParams=[^,]*,)? SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/** The credential id a request was signed with (`Authorization: TC3-HMAC-SHA256 Credential=<id>/…`). */
export function credentialOf(req: IncomingMessage): string | null {
  const match = AUTHORIZATION.exec(req.headers.authorization ?? '');
  return match ? (match[1] as string) : null;
}

/**
 * Checks the request's TC3-HMAC-SHA256 signature by signing it again with the same library the SDK
 * signs with (@cloudbase/signature-nodejs `sign`, called from `getHeaders` in
 * @cloudbase/node-sdk/dist/utils/tcbapirequester.js): same method, URL, signed headers, params and
 * timestamp (`X-Timestamp`), with the secret key issued to the invocation.
 */
export function signatureValid(req: IncomingMessage, params: ApiParams, secretKey: string): boolean {
  const match = AUTHORIZATION.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const [, secretId, signedHeaders] = match as unknown as [string, string, string, string];
  const timestamp = Number(req.headers['x-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 600) return false;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const value = req.headers[name];
    if (typeof value !== 'string') return false;
    headers[name] = value;
  }
  const url = `http://${req.headers.host ?? ''}${req.url ?? ''}`;
  try {
    const again = sign({ secretId, secretKey, method: (req.method ?? 'POST').toLowerCase(), url, params, headers, withSignedParams: true, timestamp });
    return again.authorization === req.headers.authorization;
  } catch {
    return false;
  }
}
