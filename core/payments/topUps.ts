import type { AppContext } from '../context';
import { log } from '../log';
import { recordBonusFailed, recordBonusGiven } from '../orders/lifecycle';
import type { TopUpDocument } from '../orders/topUp';
import { unsealOpenid } from '../security/identity';
import { providerCall } from './retryPolicy';
import { packBonusIdFor } from './virtual/ids';

/**
 * A pack's bonus tokens (more tokens than its price buys), presented once its payment is confirmed:
 * WeChat charges a top-up at the token's published price only, so the extra goes as a present
 * (`present_currency`), under an id derived from the top-up so that it is given once. A failure is
 * recorded and retried by reconcile.
 */
export async function giveBonus(ctx: AppContext, topUp: TopUpDocument): Promise<'given' | 'failed' | 'skipped'> {
  if (topUp.status !== 'paid' || topUp.bonusTokens <= 0 || topUp.bonus?.status !== 'due') return 'skipped';
  const wallet = ctx.wallet;
  if (!wallet || !topUp.payerOpenidSealed) return 'skipped';
  const openid = unsealOpenid(topUp.payerOpenidSealed, ctx.env.openidSealKey);
  try {
    await providerCall(ctx.clock, 'present', () => wallet.present({ openid, orderId: packBonusIdFor(topUp.outTradeNo), tokens: topUp.bonusTokens }));
    await recordBonusGiven(ctx, topUp);
    return 'given';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log('warn', 'top_up_bonus_failed', { outTradeNo: topUp.outTradeNo, error: message.slice(0, 200) });
    await recordBonusFailed(ctx, topUp, message);
    return 'failed';
  }
}
