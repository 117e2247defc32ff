/**
 * Who started an invocation, and the variables CloudBase sets for it.
 *
 * `cloud.getWXContext()` (wx-server-sdk/index.js, `getWXContext`) reads `process.env` at call
 * time: every key listed in `WX_CONTEXT_KEYS` (with its `WX_` prefix dropped; keys named
 * `API_TOKEN` / `TRIGGER_API_TOKEN_V0` are skipped, which is how the platform's tokens travel in
 * the same list), `ENV` from `TCB_ENV` or `SCF_NAMESPACE`, `SOURCE` from `TCB_SOURCE`. It returns
 * `{}` when `WX_CONTEXT_KEYS` is unset. @cloudbase/node-sdk reads the same variables
 * (`getCloudbaseContext` in dist/utils/tcbcontext.js; `getWxCloudToken` in dist/utils/wxCloudToken.js
 * takes `WX_TRIGGER_API_TOKEN_V0` when `TRIGGER_SRC` is `timer`, else `WX_API_TOKEN`).
 *
 * Which fields exist for which caller, and the SOURCE values, follow the getWXContext reference:
 * https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/utils/Cloud.getWXContext.html
 * (OPENID, APPID, UNIONID, CLIENTIP only when a mini program calls; SOURCE follows the call
 * chain, comma separated: a mini program calls A, A calls B, B sees `wx_client,scf`).
 */
export interface Caller {
  /** The SOURCE chain, e.g. `wx_client`, `wx_trigger`, `wx_client,scf`. */
  source: string;
  openid?: string;
  appid?: string;
  unionid?: string;
  clientIp?: string;
  /** A timer trigger (sets `TRIGGER_SRC=timer`). */
  timer?: boolean;
}

export const LOCAL_APPID = 'wx-local-app';

/** The sources that mean "a mini program (or DevTools) called this function". */
export const CLIENT_SOURCES = ['wx_client', 'wx_devtools', 'wx_localdebug', 'wx_crawler', 'wx_unknown'] as const;

export const callers = {
  client(openid: string, source = 'wx_client', clientIp = '127.0.0.1'): Caller {
    return { source, openid, appid: LOCAL_APPID, clientIp };
  },
  timer(): Caller {
    return { source: 'wx_trigger', timer: true };
  },
  payCallback(): Caller {
    return { source: 'wx_paycallback' };
  },
  http(): Caller {
    return { source: 'wx_http' };
  },
  /** A function calling another: the SDK itself sends `<its SOURCE>,scf` (X-TCB-Source). */
  function(sourceChain: string): Caller {
    return { source: sourceChain };
  },
};

export interface InvocationCredentials {
  secretId: string;
  secretKey: string;
  sessionToken: string;
}

/** The per-invocation variables, as SCF writes them into the instance's environment. */
export function invocationEnv(caller: Caller, envId: string, credentials: InvocationCredentials, apiToken: string): Record<string, string> {
  const wx: Record<string, string> = {};
  if (caller.openid) {
    wx.WX_OPENID = caller.openid;
    wx.WX_APPID = caller.appid ?? LOCAL_APPID;
    if (caller.unionid) wx.WX_UNIONID = caller.unionid;
    if (caller.clientIp) wx.WX_CLIENTIP = caller.clientIp;
  }
  if (caller.timer) wx.WX_TRIGGER_API_TOKEN_V0 = apiToken;
  else wx.WX_API_TOKEN = apiToken;
  const tcb: Record<string, string> = { TCB_ENV: envId, TCB_SOURCE: caller.source };
  return {
    ...wx,
    WX_CONTEXT_KEYS: Object.keys(wx).join(','),
    ...tcb,
    TCB_CONTEXT_KEYS: Object.keys(tcb).join(','),
    ...(caller.timer ? { TRIGGER_SRC: 'timer' } : {}),
    TENCENTCLOUD_SECRETID: credentials.secretId,
    TENCENTCLOUD_SECRETKEY: credentials.secretKey,
    TENCENTCLOUD_SESSIONTOKEN: credentials.sessionToken,
  };
}
