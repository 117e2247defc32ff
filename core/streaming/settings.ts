import { MIN_STREAM_TICKET_SECRET_LENGTH } from './ticket';

/**
 * The live-text stream's settings, read from the functions' environment (docs/STREAMING.md):
 * - `STREAM_TICKET_SECRET`: the HMAC key of stream tickets (at least 32 characters; generated per
 *   DATA_DIR by the local runtime, like the other secrets). Every function that issues a ticket
 *   (getOrder, createOrder) and `streamOrder`, which checks it, need the same value.
 * - `STREAM_BASE_URL`: where `streamOrder` is reached: in the cloud the absolute https URL of its
 *   HTTP access path (e.g. `https://<env>.<region>.app.tcloudbase.com/stream`), locally the
 *   runtime's path `/stream`.
 * Without either, no order carries a `streamUrl` and the page long-polls, as before.
 */
export interface StreamSettings {
  ticketSecret: string | null;
  baseUrl: string | null;
}

export class StreamSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamSettingsError';
  }
}

function setting(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

export function readStreamSettings(env: NodeJS.ProcessEnv = process.env): StreamSettings {
  const ticketSecret = setting(env, 'STREAM_TICKET_SECRET');
  if (ticketSecret !== null && ticketSecret.length < MIN_STREAM_TICKET_SECRET_LENGTH) {
    throw new StreamSettingsError(`STREAM_TICKET_SECRET is too short: at least ${MIN_STREAM_TICKET_SECRET_LENGTH} characters (openssl rand -hex 32)`);
  }
  const baseUrl = setting(env, 'STREAM_BASE_URL');
  if (baseUrl !== null && !/^(https:\/\/[^\s?#]+|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?[^\s?#]*|\/[^\s?#]*)$/.test(baseUrl)) {
    throw new StreamSettingsError(`STREAM_BASE_URL must be the https URL of streamOrder's HTTP access path (or a local path such as /stream), without a query, not "${baseUrl}"`);
  }
  return { ticketSecret, baseUrl };
}
