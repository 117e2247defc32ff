import type { AppContext } from '../../context';
import { AppError } from '../../errors';
import type { Caller } from '../../functions/serve';
import type { SessionKeys } from '../../security/sessionKeys';
import { PaymentUnavailableError } from '../provider';
import { SessionKeyExpiredError, type TokenHolder, type TokenWallet } from './wallet';

/** The platforms `wx.getDeviceInfo().platform` names (https://developers.weixin.qq.com/miniprogram/dev/api/base/system/wx.getDeviceInfo.html). */
export const PLATFORMS = ['ios', 'android', 'ohos', 'windows', 'mac', 'devtools'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * On iOS a virtual payment goes through Apple and is at least ¥1
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment/ios.html).
 */
export const IOS_MINIMUM_FEN = 100;

/** Refuses a payment the platform would refuse, before anything is signed. */
export function checkPlatformMinimum(platform: Platform | undefined, amountFen: number): void {
  if (platform === 'ios' && amountFen < IOS_MINIMUM_FEN) {
    throw new AppError('BELOW_PLATFORM_MINIMUM', `on iOS a payment is at least ¥${IOS_MINIMUM_FEN / 100}; this one is ¥${(amountFen / 100).toFixed(2)}`, { minimumFen: IOS_MINIMUM_FEN });
  }
}

/** Tokens and session keys, which exist only with PAY_MODE=virtual. */
export function virtualRail(ctx: AppContext): { wallet: TokenWallet; sessions: SessionKeys } {
  const { wallet, sessions } = ctx;
  if (!wallet || !sessions) throw new AppError('INVALID_INPUT', 'tokens are sold only with virtual payment (PAY_MODE=virtual)');
  return { wallet, sessions };
}

/** The caller as a token holder: their openid, IP and session key (from the login code they sent, or stored). */
export async function holderFor(ctx: AppContext, caller: Caller, loginCode: string | undefined): Promise<TokenHolder> {
  const { sessions } = virtualRail(ctx);
  return { openid: caller.openid, clientIp: caller.clientIp, sessionKey: await sessions.forCaller(caller, loginCode) };
}

/**
 * Runs a token call for the caller, turning WeChat's "session_key expired" into SESSION_EXPIRED
 * (the stored key is forgotten: the page logs in again) and an unknown outcome into
 * PAYMENT_UNAVAILABLE.
 */
export async function asCaller<T>(ctx: AppContext, caller: Caller, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SessionKeyExpiredError) {
      await ctx.sessions?.forget(caller.userHash);
      throw new AppError('SESSION_EXPIRED', 'the WeChat login has expired: call wx.login and try again with its code');
    }
    if (error instanceof PaymentUnavailableError) throw new AppError('PAYMENT_UNAVAILABLE', 'WeChat virtual payment is not available right now; nothing was charged, please try again');
    throw error;
  }
}

export function optionalPlatform(input: Record<string, unknown>): Platform | undefined {
  const value = input.platform;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(PLATFORMS as readonly string[]).includes(value)) throw new AppError('INVALID_INPUT', `platform must be one of ${PLATFORMS.join(', ')}`);
  return value as Platform;
}
