import { AppError } from '../errors';
import { bonusTokens, boughtTokens } from '../config/packs';
import { newOutTradeNo } from '../orders/ids';
import { openTopUp, recordTopUpSheet } from '../orders/lifecycle';
import type { TopUpDocument } from '../orders/topUp';
import { asCaller, checkPlatformMinimum, holderFor, optionalPlatform, virtualRail } from '../payments/virtual/rail';
import { sealOpenid } from '../security/identity';
import { optionalString, requiredString } from './input';
import type { ClientHandler } from './serve';

/**
 * A token top-up: signs a `short_series_coin` payment for one of the configured packs (the price and
 * the tokens come from the pack, never from the page) and records it, so that its payment can be
 * confirmed (the `xpay_coin_pay_notify` push, or query_order from reconcile) and its bonus given.
 * On iOS a pack under ¥1 is refused before anything is signed.
 */
export const createTopUp: ClientHandler = async (ctx, input, caller) => {
  const { wallet } = virtualRail(ctx);
  const packId = requiredString(input, 'packId', 32);
  const pack = ctx.packs.find((p) => p.packId === packId);
  if (!pack) throw new AppError('INVALID_INPUT', `there is no token pack "${packId.slice(0, 32)}"`);
  const platform = optionalPlatform(input);
  const loginCode = optionalString(input, 'loginCode', 128);
  checkPlatformMinimum(platform, pack.priceFen);
  const now = ctx.now();
  if ((await ctx.topUps.countCreatedSince(caller.userHash, now - 60_000)) >= ctx.env.rateLimitPerMinute) {
    throw new AppError('RATE_LIMITED', 'too many top-ups in a minute; please wait a moment');
  }
  const holder = await holderFor(ctx, caller, loginCode);
  const outTradeNo = newOutTradeNo(now);
  const topUp: TopUpDocument = {
    _id: outTradeNo,
    outTradeNo,
    userHash: caller.userHash,
    packId: pack.packId,
    boughtTokens: boughtTokens(pack, ctx.env.tokens.priceFen),
    bonusTokens: bonusTokens(pack, ctx.env.tokens.priceFen),
    amountFen: pack.priceFen,
    status: 'pending_payment',
    rev: 1,
    payerOpenidSealed: sealOpenid(caller.openid, ctx.env.openidSealKey),
    ...(platform ? { platform } : {}),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + ctx.env.orderTtlMs,
  };
  await openTopUp(ctx, topUp);
  const sheet = await asCaller(ctx, caller, async () => wallet.signTopUp({ outTradeNo, tokens: topUp.boughtTokens, attach: pack.packId }, holder.sessionKey));
  await recordTopUpSheet(ctx, topUp, sheet);
  return { topUp: { outTradeNo, ...sheet } };
};
