import { asCaller, holderFor, virtualRail } from '../payments/virtual/rail';
import { welcomeOnce } from '../payments/virtual/welcome';
import { optionalString } from './input';
import type { ClientHandler } from './serve';

/**
 * The caller's tokens, as WeChat keeps them (query_user_balance): no second balance is kept here.
 * A new user first gets the welcome tokens, if any are configured. Answers SESSION_EXPIRED when the
 * user's WeChat login must be renewed (`wx.login`, then again with `loginCode`).
 */
export const getBalance: ClientHandler = async (ctx, input, caller) => {
  const { wallet } = virtualRail(ctx);
  const loginCode = optionalString(input, 'loginCode', 128);
  const holder = await holderFor(ctx, caller, loginCode);
  await welcomeOnce(ctx, wallet, caller);
  const balance = await asCaller(ctx, caller, () => wallet.balance(holder));
  return { balance };
};
