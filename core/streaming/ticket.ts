import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The stream ticket: how a caller of the HTTP function `streamOrder` proves that an authenticated
 * function (getOrder, createOrder) let it watch one order. An HTTP-accessed function gets no OPENID
 * from the platform (the getWXContext reference lists OPENID for mini program callers only:
 * https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/utils/Cloud.getWXContext.html),
 * so the caller presents something the server signed.
 *
 * Wire form: `<claims>.<signature>`, both base64url. The claims are `{ "o": orderId, "e": expiry }`
 * (expiry in ms since the epoch). The signature is HMAC-SHA256 with `STREAM_TICKET_SECRET` over the
 * order id, the order owner's user hash (the HMAC of the openid, core/security/identity.ts) and
 * the expiry. Neither the openid nor the user hash travels in the ticket: the stream checks the
 * signature with the user hash stored on the order, so a ticket only verifies for its owner's order.
 *
 * What the stream answers, and what the page does about it:
 * - 401: the ticket is not one we signed (malformed, or its signature does not match the order's
 *   owner, or the order is gone). The page stops streaming with it and long-polls.
 * - 403: a well-formed ticket that names another order, or has expired. It is decided from the
 *   ticket's claims before the signature is checked (no database read is spent on it), so it tells
 *   an attacker nothing; the page asks getOrder for a fresh `streamUrl`.
 */

/** How long a ticket lets its page (re)connect: reconnects within one visit reuse it. */
export const STREAM_TICKET_TTL_MS = 10 * 60_000;

/** The shortest secret accepted: 32 characters, as many bytes of key as SHA-256 produces. */
export const MIN_STREAM_TICKET_SECRET_LENGTH = 32;

const DOMAIN = 'stream-ticket/v1';
const MAX_TICKET_LENGTH = 512;
const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface TicketClaims {
  orderId: string;
  expiresAt: number;
}

export type TicketCheck = { ok: true; claims: TicketClaims } | { ok: false; status: 401 | 403; reason: string };

function signature(secret: string, orderId: string, userHash: string, expiresAt: number): Buffer {
  return createHmac('sha256', secret).update(`${DOMAIN}\n${orderId}\n${userHash}\n${expiresAt}`).digest();
}

export function issueStreamTicket(secret: string, input: { orderId: string; userHash: string; now: number; ttlMs?: number }): string {
  const expiresAt = input.now + (input.ttlMs ?? STREAM_TICKET_TTL_MS);
  const claims = Buffer.from(JSON.stringify({ o: input.orderId, e: expiresAt })).toString('base64url');
  return `${claims}.${signature(secret, input.orderId, input.userHash, expiresAt).toString('base64url')}`;
}

/** The ticket's claims, unverified; null when it is not a ticket's shape at all. */
export function readTicketClaims(ticket: string): TicketClaims | null {
  if (ticket.length > MAX_TICKET_LENGTH) return null;
  const [claims, mac, extra] = ticket.split('.');
  if (!claims || !mac || extra !== undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object') return null;
    const { o, e } = parsed as { o?: unknown; e?: unknown };
    if (typeof o !== 'string' || !ORDER_ID.test(o) || typeof e !== 'number' || !Number.isSafeInteger(e)) return null;
    return { orderId: o, expiresAt: e };
  } catch {
    return null;
  }
}

/** The checks that need no database: shape (401), order named (403), expiry (403). */
export function checkTicketClaims(ticket: string, orderId: string, now: number): TicketCheck {
  const claims = readTicketClaims(ticket);
  if (!claims) return { ok: false, status: 401, reason: 'not a stream ticket' };
  if (claims.orderId !== orderId) return { ok: false, status: 403, reason: 'the ticket is for another order' };
  if (now >= claims.expiresAt) return { ok: false, status: 403, reason: 'the ticket has expired' };
  return { ok: true, claims };
}

/** The signature against the owner of the order (its stored user hash); null owner: no such order. */
export function checkTicketSignature(secret: string, ticket: string, claims: TicketClaims, ownerUserHash: string | null): TicketCheck {
  const given = Buffer.from(ticket.split('.')[1] ?? '', 'base64url');
  if (ownerUserHash === null) return { ok: false, status: 401, reason: 'the ticket does not verify' };
  const expected = signature(secret, claims.orderId, ownerUserHash, claims.expiresAt);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 401, reason: 'the ticket does not verify' };
  return { ok: true, claims };
}
