import type { IncomingMessage } from 'node:http';
import { HttpError } from './http';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The runtime serves only its own machine and its own page. A request whose Host is not a
 * loopback name with the runtime's port (a DNS-rebinding page), or whose Origin, when sent, is
 * not the runtime's own origin (a cross-site form or fetch), is refused with 403. A state change
 * must say `Content-Type: application/json` (415 otherwise), which a cross-site page cannot send
 * without a preflight the runtime never grants. The functions' own CloudBase API requests
 * (multipart for cloud calls) are exempt from the JSON rule: they are signed per invocation.
 */
export function checkRequest(req: IncomingMessage, port: number, path: string, signedApiPath: string): void {
  const allowed = LOOPBACK_HOSTS.map((host) => `${host}:${port}`);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.includes(host)) throw new HttpError(403, 'this runtime only answers requests addressed to its loopback address');
  const origin = req.headers.origin;
  if (origin !== undefined && !allowed.map((h) => `http://${h}`).includes(origin.toLowerCase())) {
    throw new HttpError(403, 'cross-origin requests are refused');
  }
  const method = req.method ?? 'GET';
  if (STATE_CHANGING.has(method) && path !== signedApiPath) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'requests that change state must be application/json');
  }
}
