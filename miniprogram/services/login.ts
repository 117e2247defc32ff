/**
 * wx.login, for the one thing this app needs it for: virtual payment signs with the user's
 * session_key, which the server gets from a login code (code2Session). The server asks for one by
 * answering SESSION_EXPIRED; the page then logs in and asks once more with `loginCode`
 * (WeChat docs: wx.login, "code 有效期为 5 分钟"; the session key expires or is replaced by a later
 * login, wx.checkSession).
 */
import type { Failure, Outcome } from './types';

/** A fresh login code, or null when wx.login failed (no network, WeChat refused). */
export function loginCode(): Promise<string | null> {
  return new Promise((resolve) => {
    wx.login({
      success: (answer) => resolve(typeof answer.code === 'string' && answer.code !== '' ? answer.code : null),
      fail: () => resolve(null),
    });
  });
}

const loginFailed: Failure = { ok: false, error: { code: 'SESSION_EXPIRED', message: 'wx.login gave no code' } };

/**
 * Calls the server; when it answers SESSION_EXPIRED, logs in and calls once more with the code.
 * A second SESSION_EXPIRED is returned as it is: the page says so rather than loop.
 */
export async function withLogin<T extends object>(call: (loginCode?: string) => Promise<Outcome<T>>): Promise<Outcome<T>> {
  const first = await call();
  if (first.ok || first.error.code !== 'SESSION_EXPIRED') return first;
  const code = await loginCode();
  if (code === null) return loginFailed;
  return call(code);
}
