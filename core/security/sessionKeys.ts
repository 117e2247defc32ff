import type { AppContext } from '../context';
import { AppError } from '../errors';
import { log } from '../log';
import { isWechatApiError, isWechatTransportError, type WechatApiClient } from '../platform/wechatApi';
import { hashOpenid, sealOpenid, unsealOpenid } from './identity';

/** Where each user's `session_key` is kept, sealed, keyed by the user's hash. */
export const SESSIONS = 'sessions';

interface SessionDocument {
  _id: string;
  sessionKeySealed: string;
  updatedAt: number;
}

/**
 * The user's `session_key`, which signs a virtual payment for that user (the `signature` of
 * `wx.requestVirtualPayment` and of the /xpay/ calls made on the user's behalf,
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html,
 * "签名详解"). It comes from the page's `wx.login` code through `code2Session`, which needs the
 * AppSecret (https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_code2session.html):
 * not a cloud call, so the functions hold `WX_APPSECRET`. It is stored sealed like the openid kept
 * for subscribe messages (AES-256-GCM under OPENID_SEAL_KEY), never sent to the mini program, and
 * forgotten when WeChat says it expired (268490009; the page sees -15007), so the next call asks the
 * page for a fresh login.
 */
export class SessionKeys {
  constructor(
    private readonly ctx: AppContext,
    private readonly api: WechatApiClient,
  ) {}

  /**
   * The caller's key: from a fresh login code when the page sent one (the code must belong to the
   * caller: WeChat's openid for it must be the caller's OPENID), else the stored one. No key at all:
   * `SESSION_EXPIRED` (the page calls `wx.login` and asks again with the code).
   */
  async forCaller(caller: { openid: string; userHash: string }, loginCode?: string): Promise<string> {
    if (loginCode !== undefined) return this.login(caller, loginCode);
    const stored = await this.forUser(caller.userHash);
    if (!stored) throw new AppError('SESSION_EXPIRED', 'the WeChat login has expired: call wx.login and try again with its code');
    return stored;
  }

  /** The stored key of a user, for work done on their behalf later (a token return after a failed answer). */
  async forUser(userHash: string): Promise<string | null> {
    const { data } = await this.ctx.db.collection(SESSIONS).where({ _id: userHash }).limit(1).get();
    const sealed = (data[0] as unknown as SessionDocument | undefined)?.sessionKeySealed;
    return sealed ? unsealOpenid(sealed, this.ctx.env.openidSealKey) : null;
  }

  /** WeChat said the key expired: it is never used again; the page's next login replaces it. */
  async forget(userHash: string): Promise<void> {
    await this.ctx.db.collection(SESSIONS).where({ _id: userHash }).remove();
  }

  private async login(caller: { openid: string; userHash: string }, loginCode: string): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(loginCode)) throw new AppError('INVALID_INPUT', 'loginCode must be the code of wx.login');
    let session;
    try {
      session = await this.api.code2Session(loginCode);
    } catch (error) {
      if (isWechatTransportError(error)) throw new AppError('PAYMENT_UNAVAILABLE', 'WeChat could not be reached to check the login; nothing was charged, please try again');
      // 40029 invalid code, 40163 code already used, 40226 a user WeChat blocks: a new wx.login is the way on.
      log('warn', 'code2session_refused', { userHash: caller.userHash, errcode: isWechatApiError(error) ? error.errcode : null });
      throw new AppError('SESSION_EXPIRED', 'the login code was not accepted: call wx.login and try again with its code');
    }
    if (hashOpenid(session.openid, this.ctx.env.openidHashSecret) !== caller.userHash) {
      log('warn', 'login_code_of_another_user', { userHash: caller.userHash });
      throw new AppError('INVALID_INPUT', 'this login code belongs to another WeChat user');
    }
    await this.store(caller.userHash, session.sessionKey);
    return session.sessionKey;
  }

  /** One document per user (fixed `_id`): a retry after a lost answer writes the same thing again. */
  private async store(userHash: string, sessionKey: string): Promise<void> {
    const sessions = this.ctx.db.collection(SESSIONS);
    const document = { sessionKeySealed: sealOpenid(sessionKey, this.ctx.env.openidSealKey), updatedAt: this.ctx.now() };
    const updated = await sessions.where({ _id: userHash }).update({ data: document });
    if (updated.stats.updated === 1) return;
    try {
      await sessions.add({ data: { _id: userHash, ...document } });
    } catch {
      // Added meanwhile (a second tap, or our own insert whose answer was lost): write over it.
      await sessions.where({ _id: userHash }).update({ data: document });
    }
  }
}
