/**
 * Where the mini program sends its cloud function calls when it is not running inside WeChat
 * with CloudBase (the local runtime, `npm run dev`). Only a loopback address: this file ships in the
 * bundle, so it must never hold a key or a private host.
 */
export const LOCAL_RUNTIME_URL = 'http://127.0.0.1:8787';

/** Each call is kept well inside the platform's ~5 s window; getOrder holds at most 3 s. */
export const CALL_TIMEOUT_MS = 10_000;

/** What app.ts keeps in `globalData`; the browser preview may set `localRuntimeUrl` (e.g. '' for same origin). */
export interface AppGlobals {
  /** When a string, calls go over HTTP to this local runtime even if `wx.cloud` exists. */
  localRuntimeUrl?: string;
  /** 'zh' or 'en' to override the system language. */
  locale?: string;
}

export interface AppOption {
  globalData: AppGlobals;
}

/** The app's globals, or an empty object where there is no App (component tests). */
export function appGlobals(): AppGlobals {
  if (typeof getApp !== 'function') return {};
  try {
    const app = getApp<AppOption>() as Partial<AppOption> | undefined;
    return app?.globalData ?? {};
  } catch {
    return {};
  }
}
