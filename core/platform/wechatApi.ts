/**
 * A small client for api.weixin.qq.com-style endpoints, at a configurable base URL (the local
 * runtime points it at its emulator): the access_token from `stable_token`, `code2Session`, and
 * token-authenticated POSTs of a body the caller has already serialised (the virtual payment APIs
 * sign those exact bytes). Global fetch: the functions run on Node 18 or newer.
 *
 * Two kinds of failure, kept apart because they mean different things for money:
 * - `WechatApiError`: WeChat answered, with a non-zero `errcode`. The request was refused.
 * - `WechatTransportError`: no usable answer (network error, timeout, HTTP error page, unreadable
 *   JSON). The outcome is unknown: the request may or may not have been carried out.
 */

export const DEFAULT_WX_API_BASE_URL = 'https://api.weixin.qq.com';
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Answers that mean the access_token was not accepted, from WeChat's global return codes (全局返回码):
 * 40001 "invalid credential, access_token is invalid or not latest" (as WeChat answers it, quoted in
 * https://developers.weixin.qq.com/community/develop/doc/00026c56744db0922e53b07b566400), 40014
 * 不合法的access_token (also answered for a token past its 7200 s, https://developer.aliyun.com/ask/242976)
 * and 42001 access_token 超时.
 */
export const TOKEN_REJECTED_ERRCODES: readonly number[] = [40001, 40014, 42001];

/** WeChat answered with a non-zero errcode: the request was refused, nothing was done. */
export class WechatApiError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${api}: WeChat answered errcode ${errcode} (${errmsg})`);
    this.name = 'WechatApiError';
  }
}

/** No usable answer from WeChat: whether the request took effect is unknown. */
export class WechatTransportError extends Error {
  constructor(
    readonly api: string,
    override readonly cause: unknown,
  ) {
    super(`${api}: no usable answer from WeChat, outcome unknown (${describe(cause)})`);
    this.name = 'WechatTransportError';
  }
}

/** The call was not made: its own arguments are wrong. */
export class WechatRequestError extends Error {
  constructor(
    readonly api: string,
    message: string,
  ) {
    super(`${api}: ${message}`);
    this.name = 'WechatRequestError';
  }
}

export function isWechatApiError(error: unknown): error is WechatApiError {
  return error instanceof WechatApiError;
}

export function isWechatTransportError(error: unknown): error is WechatTransportError {
  return error instanceof WechatTransportError;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`.slice(0, 200);
  return String(cause).slice(0, 200);
}

export interface WechatApiSettings {
  /** `WX_API_BASE_URL`; https://api.weixin.qq.com unless pointed elsewhere. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** One request's time limit (connection, answer and body). */
  timeoutMs?: number;
}

export interface WechatApiDeps {
  fetch?: typeof fetch;
  now?: () => number;
}

/** What `code2Session` returns (https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_code2session.html). */
export interface Code2SessionAnswer {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

interface CachedToken {
  value: string;
  /** When it is refreshed (before WeChat's own expiry). */
  refreshAt: number;
}

type Json = Record<string, unknown>;

/**
 * How long before its expiry a token is replaced. In normal mode stable_token starts handing out the
 * next token 5 minutes before the old one expires, both valid meanwhile
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html),
 * so asking again in that window gets the new one.
 */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class WechatApiClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;

  constructor(
    private readonly settings: WechatApiSettings,
    deps: WechatApiDeps = {},
  ) {
    if (!settings.appId || !settings.appSecret) throw new WechatRequestError('settings', 'the AppID and AppSecret are required');
    let base: URL;
    try {
      base = new URL(settings.baseUrl);
    } catch {
      throw new WechatRequestError('settings', `the WeChat API base URL is not a URL: ${settings.baseUrl}`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new WechatRequestError('settings', `the WeChat API base URL must be http(s): ${settings.baseUrl}`);
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = deps.fetch ?? fetch;
    this.now = deps.now ?? Date.now;
  }

  /**
   * A valid access_token from `stable_token` (normal mode, never force_refresh: that mode is
   * limited to 20 calls a day and would invalidate the token every other function instance is
   * using). Cached until 5 minutes before its expiry; concurrent callers share one request.
   */
  async accessToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAt) return cached.value;
    return (await this.refreshToken()).value;
  }

  /** Forgets `token` if it is still the cached one (a newer token fetched meanwhile is kept). */
  private dropToken(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private refreshToken(): Promise<CachedToken> {
    if (this.inflight) return this.inflight;
    const request = this.fetchStableToken().finally(() => {
      if (this.inflight === request) this.inflight = undefined;
    });
    this.inflight = request;
    return request;
  }

  private async fetchStableToken(): Promise<CachedToken> {
    const api = 'stable_token';
    const body = JSON.stringify({ grant_type: 'client_credential', appid: this.settings.appId, secret: this.settings.appSecret, force_refresh: false });
    const answer = await this.send(api, `${this.baseUrl}/cgi-bin/stable_token`, { method: 'POST', body });
    throwIfRefused(api, answer);
    const value = answer.access_token;
    const expiresIn = answer.expires_in;
    if (typeof value !== 'string' || value === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new WechatTransportError(api, new Error('the answer has no access_token and expires_in'));
    }
    const lifetimeMs = expiresIn * 1000;
    // A short-lived token is used for half its life rather than not at all.
    const refreshAt = this.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2);
    const token = { value, refreshAt };
    this.cached = token;
    return token;
  }

  /**
   * Exchanges a `wx.login` code for the user's openid and session_key
   * (`GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`). A code is
   * valid once, for five minutes; a refused one is 40029, a blocked high-risk user 40226. A success
   * may carry `errcode: 0` (the page's own example does).
   */
  async code2Session(code: string): Promise<Code2SessionAnswer> {
    const api = 'code2Session';
    if (typeof code !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(code)) throw new WechatRequestError(api, 'the login code must be a non-empty printable string');
    const query = new URLSearchParams({ appid: this.settings.appId, secret: this.settings.appSecret, js_code: code, grant_type: 'authorization_code' });
    const answer = await this.send(api, `${this.baseUrl}/sns/jscode2session?${query.toString()}`, { method: 'GET' });
    throwIfRefused(api, answer);
    const { openid, session_key: sessionKey, unionid } = answer;
    if (typeof openid !== 'string' || openid === '' || typeof sessionKey !== 'string' || sessionKey === '') {
      throw new WechatTransportError(api, new Error('the answer has no openid and session_key'));
    }
    return { openid, sessionKey, ...(typeof unionid === 'string' && unionid !== '' ? { unionid } : {}) };
  }

  /**
   * POSTs `body` (sent exactly as given) to `path?access_token=…&<query>` and returns the answer
   * once its errcode is 0. When WeChat does not accept the token (40001, 40014, 42001), a fresh one
   * is fetched once and the same request sent again: WeChat refused it before doing anything.
   */
  async postWithToken(api: string, path: string, query: Readonly<Record<string, string>>, body: string): Promise<Json> {
    if (!path.startsWith('/') || path.includes('?')) throw new WechatRequestError(api, `the path must be absolute and without a query: ${path}`);
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.accessToken();
      const search = new URLSearchParams({ access_token: token, ...query });
      const answer = await this.send(api, `${this.baseUrl}${path}?${search.toString()}`, { method: 'POST', body });
      const errcode = errcodeOf(answer);
      if (errcode !== 0 && TOKEN_REJECTED_ERRCODES.includes(errcode) && attempt === 0) {
        this.dropToken(token);
        continue;
      }
      throwIfRefused(api, answer);
      return answer;
    }
  }

  private async send(api: string, url: string, init: { method: 'GET' | 'POST'; body?: string }): Promise<Json> {
    let raw: string;
    let status: number;
    try {
      const response = await this.fetchImpl(url, {
        method: init.method,
        ...(init.body === undefined ? {} : { body: init.body, headers: { 'Content-Type': 'application/json' } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      raw = await response.text();
    } catch (error) {
      throw new WechatTransportError(api, error);
    }
    if (status < 200 || status >= 300) throw new WechatTransportError(api, new Error(`HTTP ${status}`));
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new WechatTransportError(api, new Error(`HTTP ${status} with a body that is not JSON`));
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WechatTransportError(api, new Error('the answer is not a JSON object'));
    return parsed as Json;
  }
}

/** The answer's errcode; 0 when absent (stable_token and code2Session omit it on success). */
function errcodeOf(answer: Json): number {
  const { errcode } = answer;
  if (errcode === undefined) return 0;
  if (typeof errcode === 'number' && Number.isInteger(errcode)) return errcode;
  // Some answers carry the code as a string (e.g. the "40029" of the component code2Session page).
  if (typeof errcode === 'string' && /^-?\d+$/.test(errcode)) return Number(errcode);
  return Number.NaN;
}

function throwIfRefused(api: string, answer: Json): void {
  const errcode = errcodeOf(answer);
  if (errcode === 0) return;
  if (Number.isNaN(errcode)) throw new WechatTransportError(api, new Error('the answer has an errcode that is not a number'));
  throw new WechatApiError(api, errcode, typeof answer.errmsg === 'string' ? answer.errmsg : '');
}
