/**
 * What a CloudBase HTTP-triggered function receives (an integration request): the method, the
 * headers and the body, base64-encoded when `isBase64Encoded`
 * (https://docs.cloudbase.net/service/access-cloud-function). API v3 signatures are over the raw
 * body bytes, so they are taken from here as they arrived, never re-serialised.
 */
export interface HttpTriggerEvent {
  httpMethod?: string;
  headers?: Record<string, unknown>;
  body?: string;
  isBase64Encoded?: boolean;
}

export function rawBodyOf(event: HttpTriggerEvent): Buffer {
  const body = typeof event.body === 'string' ? event.body : '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}
