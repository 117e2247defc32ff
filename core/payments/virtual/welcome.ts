import type { AppContext } from '../../context';
import { log } from '../../log';
import { providerCall } from '../retryPolicy';
import { welcomeIdFor } from './ids';
import type { TokenWallet } from './wallet';

/** One document per user who got their welcome tokens. */
export const WELCOMED = 'welcomed_users';

/**
 * WELCOME_TOKENS: tokens presented once to each new user, so that anyone, on any platform, can try
 * an answer. Given with present_currency under an id derived from the user's hash, so WeChat itself
 * gives them at most once whatever happens here (268490004 on a repeat); the record below only
 * saves asking again. A failure is logged and tried again at the user's next balance check.
 */
export async function welcomeOnce(ctx: AppContext, wallet: TokenWallet, user: { openid: string; userHash: string }): Promise<boolean> {
  const tokens = ctx.env.tokens.welcomeTokens;
  if (tokens <= 0) return false;
  const welcomed = ctx.db.collection(WELCOMED);
  const { data } = await welcomed.where({ _id: user.userHash }).limit(1).get();
  if (data.length > 0) return false;
  try {
    await providerCall(ctx.clock, 'present', () => wallet.present({ openid: user.openid, orderId: welcomeIdFor(user.userHash), tokens }));
  } catch (error) {
    log('warn', 'welcome_tokens_failed', { userHash: user.userHash, error: String(error).slice(0, 200) });
    return false;
  }
  await welcomed.add({ data: { _id: user.userHash, tokens, at: ctx.now() } }).catch(() => undefined);
  log('info', 'welcome_tokens_given', { userHash: user.userHash, tokens });
  return true;
}
