import { randomBytes } from 'node:crypto';
import type { Collection, Database } from '../../core/platform/wxCloud';
import { PLATFORM, PLATFORM_MESSAGES, withRid, type WeChatError } from './codes';
import type { XpayFaults } from './faults';
import { KeyedLock } from './lock';
import type { XpayAccount } from './settings';
import { signatureMatches, userSignature } from './sign';
import { allOf } from '../store/allOf';

/**
 * WeChat's login and credential service, as the emulator plays it: wx.login's codes, the users'
 * session keys, code2Session (`GET /sns/jscode2session`) and the stable access token
 * (`POST /cgi-bin/stable_token`). State is kept in the platform store, so it survives a restart.
 *
 * Session keys follow wx.checkSession's description
 * (https://developers.weixin.qq.com/miniprogram/dev/api/open-api/login/wx.checkSession.html):
 * "同一用户在同一时刻仅有一个有效的 session_key"; a login "可能会生成新的登录态session_key，从而使旧的
 * session_key 被顶替而失效"; a key expires the longer the user stays away ("用户越久未使用小程序，用户登录态
 * 越有可能过期"). The emulator takes the cautious reading: every login replaces the key, and a key
 * unused for `sessionIdleMs` expires.
 */

interface CodeRecord {
  _id: string;
  openid: string;
  /** The key this login produced: a code exchanged after a later login yields an already replaced key. */
  sessionKey: string;
  expiresAt: number;
  used: boolean;
}

interface SessionRecord {
  _id: string;
  sessionKey: string;
  issuedAt: number;
  lastUsedAt: number;
  expired: boolean;
  /** Keys replaced by later logins (the last few), to tell a stale key from a wrong signature. */
  previousKeys: string[];
}

interface TokenRecord {
  _id: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

interface StableTokenState {
  _id: string;
  current: string | null;
  forceRefreshDay: string;
  forceRefreshCount: number;
  lastForceRefreshAt: number;
}

export type UserCheck = 'ok' | 'expired' | 'invalid';
export type TokenCheck = { ok: true } | { ok: false; error: WeChatError };

const PREVIOUS_KEYS_KEPT = 5;
/** stable_token: the platform renews the token in its last 5 minutes, and old and new both work then. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** stable_token force_refresh: "每天限用 20 次且需间隔 30 秒" (否则不会刷新). */
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_GAP_MS = 30_000;
const STABLE_STATE_ID = 'stable_token';

function platformError(code: number): WeChatError {
  return { errcode: code, errmsg: withRid(PLATFORM_MESSAGES[code] ?? 'error') };
}

/** A session key as WeChat issues them: 16 random bytes, base64 (e.g. "9hAb/NEYUlkaMBEsmFgzig=="). */
function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

function beijingDay(at: number): string {
  return new Date(at + 8 * 3600_000).toISOString().slice(0, 10);
}

export interface IdentityOptions {
  db: Database;
  account: () => XpayAccount;
  faults: () => XpayFaults;
  codeTtlMs: number;
  sessionIdleMs: number;
  tokenTtlMs: number;
  now?: () => number;
}

export class IdentityService {
  private readonly lock = new KeyedLock();
  private readonly now: () => number;

  constructor(private readonly options: IdentityOptions) {
    this.now = options.now ?? Date.now;
  }

  private get codes(): Collection {
    return this.options.db.collection('xpay_codes');
  }
  private get sessions(): Collection {
    return this.options.db.collection('xpay_sessions');
  }
  private get tokens(): Collection {
    return this.options.db.collection('xpay_tokens');
  }
  private get state(): Collection {
    return this.options.db.collection('xpay_meta');
  }

  private async session(openid: string): Promise<SessionRecord | null> {
    const { data } = await this.sessions.where({ _id: openid }).limit(1).get();
    return (data[0] as unknown as SessionRecord | undefined) ?? null;
  }

  /** wx.login for this user: a new code, and (the cautious reading) a new session key replacing the old one. */
  login(openid: string): Promise<{ code: string }> {
    return this.lock.run(`session:${openid}`, async () => {
      const now = this.now();
      const existing = await this.session(openid);
      const sessionKey = newSessionKey();
      const record: SessionRecord = {
        _id: openid,
        sessionKey,
        issuedAt: now,
        lastUsedAt: now,
        expired: false,
        previousKeys: existing ? [existing.sessionKey, ...existing.previousKeys].slice(0, PREVIOUS_KEYS_KEPT) : [],
      };
      if (existing) await this.sessions.where({ _id: openid }).update({ data: { ...record, _id: undefined } });
      else await this.sessions.add({ data: record as unknown as Record<string, unknown> });
      const code = randomBytes(24).toString('base64url');
      const codeRecord: CodeRecord = { _id: code, openid, sessionKey, expiresAt: now + this.options.codeTtlMs, used: false };
      await this.codes.add({ data: codeRecord as unknown as Record<string, unknown> });
      return { code };
    });
  }

  /**
   * `GET /sns/jscode2session`: appid, secret, js_code, grant_type=authorization_code →
   * `{ openid, session_key }`; a code works once (40163 after) and for `codeTtlMs` (40029 after)
   * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html).
   */
  async code2Session(query: URLSearchParams): Promise<Record<string, unknown>> {
    const account = this.options.account();
    const appid = query.get('appid');
    const secret = query.get('secret');
    const jsCode = query.get('js_code');
    if (!appid) return { ...platformError(PLATFORM.MISSING_APPID) };
    if (appid !== account.appId) return { ...platformError(PLATFORM.INVALID_APPID) };
    if (!secret) return { ...platformError(PLATFORM.MISSING_SECRET) };
    if (secret !== account.appSecret) return { ...platformError(PLATFORM.INVALID_APPSECRET) };
    if (query.get('grant_type') !== 'authorization_code') return { ...platformError(PLATFORM.INVALID_GRANT_TYPE) };
    if (!jsCode) return { ...platformError(PLATFORM.MISSING_CODE) };
    const { data } = await this.codes.where({ _id: jsCode }).limit(1).get();
    const record = data[0] as unknown as CodeRecord | undefined;
    if (!record || record.expiresAt <= this.now()) return { ...platformError(PLATFORM.INVALID_CODE) };
    // The conditional update makes the code single-use even when two exchanges race.
    const claimed = await this.codes.where({ _id: jsCode, used: false }).update({ data: { used: true } });
    if (claimed.stats.updated !== 1) return { ...platformError(PLATFORM.CODE_BEEN_USED) };
    await this.touch(record.openid, record.sessionKey);
    return { openid: record.openid, session_key: record.sessionKey };
  }

  private async touch(openid: string, sessionKey: string): Promise<void> {
    await this.sessions.where({ _id: openid, sessionKey }).update({ data: { lastUsedAt: this.now() } });
  }

  /** Marks the user's current key expired (the `sessionExpire` fault, or an operator's test). */
  async expireSession(openid: string): Promise<boolean> {
    const result = await this.sessions.where({ _id: openid }).update({ data: { expired: true } });
    return result.stats.updated === 1;
  }

  /**
   * Checks a user signature over `body` against the user's current session key: `expired` when the
   * user has no live key (never logged in, idle too long, replaced, or the fault), or when the
   * signature was made with a key a later login replaced; `invalid` when no key of theirs made it.
   */
  async checkUserSignature(openid: string, body: string | Buffer, signature: unknown): Promise<UserCheck> {
    return this.lock.run(`session:${openid}`, async () => {
      const session = await this.session(openid);
      if (!session) return 'expired';
      let live = !session.expired && this.now() - session.lastUsedAt <= this.options.sessionIdleMs;
      if (live && Math.random() < this.options.faults().sessionExpire) {
        await this.expireSession(openid);
        live = false;
      }
      if (signatureMatches(userSignature(session.sessionKey, body), signature)) {
        if (!live) return 'expired';
        await this.touch(openid, session.sessionKey);
        return 'ok';
      }
      if (session.previousKeys.some((key) => signatureMatches(userSignature(key, body), signature))) return 'expired';
      return live ? 'invalid' : 'expired';
    });
  }

  /**
   * Who made this user signature: the user whose current key (or a key a later login replaced)
   * verifies it. The client side of paying needs it when it opens a payment the server issued.
   */
  async signerOf(body: string, signature: string): Promise<string | null> {
    const sessions = await allOf<SessionRecord>(() => this.sessions.orderBy('issuedAt', 'asc'));
    const signer = sessions.find((session) => [session.sessionKey, ...session.previousKeys].some((key) => signatureMatches(userSignature(key, body), signature)));
    return signer?._id ?? null;
  }

  /** What the inspector shows of a user's login state (never the key itself). */
  async sessionSummary(openid: string): Promise<{ loggedIn: boolean; expired: boolean; issuedAt?: number; lastUsedAt?: number }> {
    const session = await this.session(openid);
    if (!session) return { loggedIn: false, expired: true };
    const idle = this.now() - session.lastUsedAt > this.options.sessionIdleMs;
    return { loggedIn: true, expired: session.expired || idle, issuedAt: session.issuedAt, lastUsedAt: session.lastUsedAt };
  }

  private async stableState(): Promise<StableTokenState> {
    const { data } = await this.state.where({ _id: STABLE_STATE_ID }).limit(1).get();
    const found = data[0] as unknown as StableTokenState | undefined;
    if (found) return found;
    const fresh: StableTokenState = { _id: STABLE_STATE_ID, current: null, forceRefreshDay: '', forceRefreshCount: 0, lastForceRefreshAt: 0 };
    await this.state.add({ data: fresh as unknown as Record<string, unknown> });
    return fresh;
  }

  private async token(id: string): Promise<TokenRecord | null> {
    const { data } = await this.tokens.where({ _id: id }).limit(1).get();
    return (data[0] as unknown as TokenRecord | undefined) ?? null;
  }

  private async issueToken(now: number): Promise<TokenRecord> {
    const record: TokenRecord = { _id: randomBytes(96).toString('base64url'), issuedAt: now, expiresAt: now + this.options.tokenTtlMs, revoked: false };
    await this.tokens.add({ data: record as unknown as Record<string, unknown> });
    await this.state.where({ _id: STABLE_STATE_ID }).update({ data: { current: record._id } });
    return record;
  }

  /**
   * `POST /cgi-bin/stable_token` `{ grant_type: "client_credential", appid, secret, force_refresh? }`
   * → `{ access_token, expires_in }` (https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken):
   * normal mode returns the current token while valid and a new one in its last 5 minutes (the old
   * one keeps working until it ends); force_refresh revokes every earlier token and issues a new one,
   * at most 20 times a (Beijing) day and not within 30 s of the last, when it does not refresh.
   */
  stableToken(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.lock.run('stable_token', async () => {
      const account = this.options.account();
      if (body.grant_type !== 'client_credential') return { ...platformError(PLATFORM.INVALID_GRANT_TYPE) };
      if (typeof body.appid !== 'string' || body.appid === '') return { ...platformError(PLATFORM.MISSING_APPID) };
      if (body.appid !== account.appId) return { ...platformError(PLATFORM.INVALID_APPID) };
      if (typeof body.secret !== 'string' || body.secret === '') return { ...platformError(PLATFORM.MISSING_SECRET) };
      if (body.secret !== account.appSecret) return { ...platformError(PLATFORM.INVALID_APPSECRET) };
      if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') return { ...platformError(PLATFORM.INVALID_GRANT_TYPE) };
      const now = this.now();
      const state = await this.stableState();
      let current = state.current ? await this.token(state.current) : null;
      if (body.force_refresh === true) {
        const day = beijingDay(now);
        const count = state.forceRefreshDay === day ? state.forceRefreshCount : 0;
        const tooSoon = now - state.lastForceRefreshAt < FORCE_REFRESH_GAP_MS;
        if (!tooSoon) {
          if (count >= FORCE_REFRESH_PER_DAY) return { ...platformError(PLATFORM.DAILY_QUOTA) };
          await this.tokens.where({ revoked: false }).update({ data: { revoked: true } });
          await this.state.where({ _id: STABLE_STATE_ID }).update({ data: { forceRefreshDay: day, forceRefreshCount: count + 1, lastForceRefreshAt: now } });
          current = await this.issueToken(now);
        }
      }
      if (!current || current.revoked || current.expiresAt - now <= RENEW_BEFORE_MS) current = await this.issueToken(now);
      return { access_token: current._id, expires_in: Math.floor((current.expiresAt - now) / 1000) };
    });
  }

  /** The access_token of an API call: 41001 missing, 40014 malformed, 40001 unknown or revoked, 42001 expired. */
  async checkAccessToken(token: string | null): Promise<TokenCheck> {
    if (!token) return { ok: false, error: platformError(PLATFORM.MISSING_ACCESS_TOKEN) };
    if (!/^[A-Za-z0-9_-]{16,512}$/.test(token)) return { ok: false, error: platformError(PLATFORM.INVALID_ACCESS_TOKEN) };
    const record = await this.token(token);
    if (!record || record.revoked) return { ok: false, error: platformError(PLATFORM.INVALID_CREDENTIAL) };
    const now = this.now();
    if (record.expiresAt > now && Math.random() < this.options.faults().tokenExpireEarly) {
      await this.tokens.where({ _id: token }).update({ data: { expiresAt: now } });
      return { ok: false, error: platformError(PLATFORM.ACCESS_TOKEN_EXPIRED) };
    }
    if (record.expiresAt <= now) return { ok: false, error: platformError(PLATFORM.ACCESS_TOKEN_EXPIRED) };
    return { ok: true };
  }
}
