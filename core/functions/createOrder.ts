import { guardPrompt, promptChecksSince } from '../compliance/promptGuard';
import type { TierConfig } from '../config/tiers';
import type { AppContext } from '../context';
import { openTurn, recordTurn } from '../conversations/turns';
import { AppError } from '../errors';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import { newOrderId, newOutTradeNo } from '../orders/ids';
import { closeUnpaid, openOrder, recordPrepay } from '../orders/lifecycle';
import { toClientOrder, type OrderDocument, type PayWith } from '../orders/order';
import { providerCall } from '../payments/retryPolicy';
import { spendForOrder } from '../payments/tokenSpend';
import { asCaller, checkPlatformMinimum, holderFor, optionalPlatform, virtualRail, type Platform } from '../payments/virtual/rail';
import type { TokenHolder } from '../payments/virtual/wallet';
import { queryPendingPayment } from '../payments/verifyPending';
import { canonicalText, isBlank } from '../privacy/normalize';
import { redact } from '../privacy/redact';
import { sealOpenid } from '../security/identity';
import { clientOrderWithStream } from '../streaming/streamUrl';
import { optionalBoolean, optionalString } from './input';
import type { Caller, ClientHandler } from './serve';

/** Prompts longer than this are refused before anything else is looked at. */
const ABSOLUTE_PROMPT_LIMIT = 20_000;
/** A lock whose order is still missing after this long was left by a request that failed. */
const LOCK_WITHOUT_ORDER_MS = 10_000;

interface OrderRequest {
  tier: TierConfig;
  /** The prompt as it is checked, stored (once redacted) and sent to the model: canonical text (core/privacy/normalize.ts). */
  prompt: string;
  payWith: PayWith;
  platform?: Platform;
  loginCode?: string;
  subscribe: boolean;
}

/** Reads and checks the request: nothing here costs anything, and nothing is stored. */
function readRequest(ctx: AppContext, input: Record<string, unknown>): OrderRequest {
  const tierId = input.tier;
  if (typeof tierId !== 'string' || tierId.length === 0 || tierId.length > 64) {
    throw new AppError('INVALID_INPUT', 'tier must be the id of a tier');
  }
  const tier = ctx.tiers.find((t) => t.id === tierId);
  if (!tier) throw new AppError('UNKNOWN_TIER', `there is no tier "${tierId.slice(0, 32)}"`);
  const raw = input.prompt;
  if (typeof raw !== 'string') throw new AppError('INVALID_INPUT', 'prompt must be text');
  if (raw.length > ABSOLUTE_PROMPT_LIMIT * 4) throw new AppError('PROMPT_TOO_LONG', `the prompt has ${raw.length} characters; this tier takes at most ${tier.promptLimit}`, { limit: tier.promptLimit, length: raw.length });
  // Invisible characters, full width and compatibility forms are folded first, so that what is
  // checked is what the model receives (and a prompt of invisible characters only is empty).
  const prompt = canonicalText(raw);
  if (isBlank(prompt)) throw new AppError('INVALID_INPUT', 'prompt is empty');
  const promptLength = prompt.length > ABSOLUTE_PROMPT_LIMIT ? prompt.length : [...prompt].length;
  if (promptLength > tier.promptLimit) {
    throw new AppError('PROMPT_TOO_LONG', `the prompt has ${promptLength} characters; this tier takes at most ${tier.promptLimit}`, {
      limit: tier.promptLimit,
      length: promptLength,
    });
  }
  const virtual = ctx.env.payMode === 'virtual';
  const payWith = input.payWith ?? (virtual ? 'tokens' : 'purchase');
  if (payWith !== 'tokens' && payWith !== 'purchase') throw new AppError('INVALID_INPUT', 'payWith must be "tokens" or "purchase"');
  if (payWith === 'tokens' && !virtual) throw new AppError('INVALID_INPUT', 'answers are paid with tokens only with virtual payment; use payWith "purchase"');
  if (payWith === 'purchase' && virtual && !tier.item) throw new AppError('INVALID_INPUT', `the tier "${tier.id}" is not sold as an item: pay with tokens`);
  const platform = optionalPlatform(input);
  const loginCode = optionalString(input, 'loginCode', 128);
  return { tier, prompt, payWith, ...(platform ? { platform } : {}), ...(loginCode ? { loginCode } : {}), subscribe: optionalBoolean(input, 'subscribe') === true };
}

/** The price of the request in the unit it is paid in. */
function priceOf(ctx: AppContext, request: OrderRequest): { amountFen: number; amountTokens?: number } {
  if (request.payWith === 'tokens') return { amountFen: 0, amountTokens: request.tier.priceTokens };
  return { amountFen: ctx.env.payMode === 'virtual' && request.tier.item ? request.tier.item.priceFen : request.tier.priceFen };
}

/** The per-user limit: orders, and the content checks (shared by the whole mini program) a user causes. */
async function checkRateLimit(ctx: AppContext, caller: Caller): Promise<void> {
  const since = ctx.now() - 60_000;
  const [orders, checks] = await Promise.all([ctx.orders.countCreatedSince(caller.userHash, since), promptChecksSince(ctx, caller.userHash, since)]);
  if (Math.max(orders, checks) >= ctx.env.rateLimitPerMinute) throw new AppError('RATE_LIMITED', 'too many questions in a minute; please wait a moment');
}

/** One active payment per user: a second request while one is pending gets that order back (to pay or cancel). */
async function takeActivePayment(ctx: AppContext, caller: Caller, orderId: string, expiresAt: number): Promise<ActivePaymentLock> {
  const lock = new ActivePaymentLock(ctx.db);
  const holder = await lock.take(caller.userHash, orderId, expiresAt, async (holderId, heldForMs) => {
    const held = await ctx.orders.findById(holderId);
    // No order behind a fresh lock: another request (a second tap) is still storing it.
    if (!held) return heldForMs > LOCK_WITHOUT_ORDER_MS;
    if (held.status !== 'pending_payment' || held.expiresAt <= ctx.now()) return true;
    // Paid, but its notification is late? Then it is no longer in the way (and starts generating).
    if (ctx.now() - held.createdAt < ctx.env.paymentGraceMs) return false;
    return (await queryPendingPayment(ctx, held, 'query_order_on_create')) === 'confirmed';
  }, ctx.now);
  if (holder !== null) {
    const pending = await ctx.orders.findById(holder);
    throw new AppError('ACTIVE_PAYMENT_EXISTS', 'you already have an order waiting for payment', {
      ...(pending ? { order: toClientOrder(pending), ...(pending.payment ? { payment: pending.payment } : {}) } : {}),
    });
  }
  return lock;
}

/**
 * A new question. Every way to be refused that costs nothing comes first (input, the rate limit, the
 * user's login and token balance, the one-active-payment lock); then the content check (whose quota
 * the whole mini program shares); only then is an order stored and paid: with tokens at once
 * (currency_pay, no payment sheet: the order comes back paid or generating), or as a purchase whose
 * sheet the page opens (virtual payment's item, or `wx.requestPayment` with cloud pay and API v3).
 */
export const createOrder: ClientHandler = async (ctx, input, caller) => {
  const request = readRequest(ctx, input);
  const price = priceOf(ctx, request);
  if (request.payWith === 'purchase') checkPlatformMinimum(request.platform, price.amountFen);
  await checkRateLimit(ctx, caller);

  const virtual = ctx.env.payMode === 'virtual';
  const holder: TokenHolder | null = virtual ? await holderFor(ctx, caller, request.loginCode) : null;
  if (request.payWith === 'tokens' && holder) {
    const { wallet } = virtualRail(ctx);
    const balance = await asCaller(ctx, caller, () => wallet.balance(holder));
    const needed = price.amountTokens ?? 0;
    if (balance < needed) throw new AppError('INSUFFICIENT_BALANCE', `this answer costs ${needed} tokens; you have ${balance}`, { balance, priceTokens: needed });
  }

  const now = ctx.now();
  const orderId = newOrderId();
  // The conversation this order starts or continues: checked (another user's is NOT_FOUND) before anything is written.
  const turn = await openTurn(ctx, caller, { conversationId: input.conversationId, orderId });
  const expiresAt = now + ctx.env.orderTtlMs;
  const lock = await takeActivePayment(ctx, caller, orderId, expiresAt);
  // What is checked is what would be stored and sent to a model: the redacted canonical prompt.
  const redacted = redact(request.prompt);
  try {
    await guardPrompt(ctx, caller, redacted.text);
  } catch (error) {
    await lock.release(caller.userHash, orderId);
    throw error;
  }

  const templateId = ctx.env.subscribeTemplateId;
  // The answer's content checks, the shipping upload and virtual payment's later calls act on the payer's behalf, without a caller.
  const keepsPayer = ctx.env.contentSecurity.enabled || ctx.env.shipping.required || virtual;
  const order: OrderDocument = {
    _id: orderId,
    outTradeNo: newOutTradeNo(now),
    userHash: caller.userHash,
    tier: request.tier.id,
    conversationId: turn.conversationId,
    payWith: request.payWith,
    ...price,
    description: request.tier.paymentDescription,
    prompt: redacted.text,
    redactions: redacted.counts,
    status: 'pending_payment',
    rev: 1,
    output: '',
    outputComplete: false,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    attempts: 0,
    ...(request.subscribe && templateId
      ? { subscription: { templateId, accepted: true, openidSealed: sealOpenid(caller.openid, ctx.env.openidSealKey) } }
      : {}),
    ...(keepsPayer ? { payerOpenidSealed: sealOpenid(caller.openid, ctx.env.openidSealKey) } : {}),
    ...(request.payWith === 'tokens' ? { payerIp: caller.clientIp } : {}),
  };
  try {
    await openOrder(ctx, order);
  } catch (error) {
    // Not stored: the lock must not name an order nobody will find (the user would wait it out).
    if (!(await ctx.orders.findById(orderId).catch(() => null))) await lock.release(caller.userHash, orderId).catch(() => undefined);
    throw error;
  }
  // In the conversation before it can be paid or its tokens spent (a conversation deleted meanwhile closes it: NOT_FOUND).
  await recordTurn(ctx, order);

  if (request.payWith === 'tokens' && holder) {
    const spent = await spendForOrder(ctx, order, holder, 'currency_pay');
    if (spent === 'insufficient') throw new AppError('INSUFFICIENT_BALANCE', 'there were not enough tokens for this answer; nothing was spent', { priceTokens: order.amountTokens ?? 0 });
    if (spent === 'session_expired') throw new AppError('SESSION_EXPIRED', 'the WeChat login has expired: call wx.login and try again with its code');
    // Paid (generation is on its way) or, with no answer from WeChat yet, still waiting: the page shows it either way.
    return { order: clientOrderWithStream(ctx, (await ctx.orders.findById(order._id)) ?? order) };
  }

  try {
    const payment = await providerCall(ctx.clock, 'prepay', () =>
      ctx.payments.createPrepay({
        outTradeNo: order.outTradeNo,
        amountFen: order.amountFen,
        description: order.description,
        expiresAt,
        payer: { openid: caller.openid, clientIp: caller.clientIp, ...(holder ? { sessionKey: holder.sessionKey } : {}) },
        attach: order._id,
        ...(virtual && request.tier.item ? { productId: request.tier.item.productId } : {}),
      }),
    );
    const stored = await recordPrepay(ctx, order, payment);
    return { order: clientOrderWithStream(ctx, stored), payment };
  } catch (error) {
    log('error', 'prepay_failed', { orderId, error: error instanceof Error ? error.message : String(error) });
    await closeUnpaid(ctx, order, { reason: 'prepay_failed' });
    throw new AppError('PAYMENT_UNAVAILABLE', 'WeChat Pay is not available right now; nothing was charged, please try again');
  }
};
