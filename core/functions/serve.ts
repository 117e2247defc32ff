import { createContext, type AppContext } from '../context';
import { AppError, isAppError, type Failure } from '../errors';
import { log } from '../log';
import { asWxCloud } from '../platform/wxCloud';
import { hashOpenid } from '../security/identity';

export interface Caller {
  openid: string;
  userHash: string;
  clientIp: string;
}

export type ClientHandler = (ctx: AppContext, input: Record<string, unknown>, caller: Caller) => Promise<object>;
export type TriggerHandler = (ctx: AppContext, event: Record<string, unknown>) => Promise<unknown>;
export type CloudMain = (event: unknown, context?: unknown) => Promise<unknown>;

/** Initialises the SDK for the environment the function runs in, once per instance. */
function contextOnce(sdk: unknown): () => AppContext {
  const cloud = asWxCloud(sdk);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
  let ctx: AppContext | null = null;
  return () => {
    ctx ??= createContext(cloud);
    return ctx;
  };
}

function plainObject(event: unknown): Record<string, unknown> {
  return event !== null && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
}

/**
 * A function the mini program calls. The caller is always `getWXContext().OPENID`; whatever the
 * event says about users, prices or states is ignored. Every answer is `{ ok: true, ... }` or a
 * typed `{ ok: false, error }`: nothing else, whatever the input.
 */
export function clientFunction(sdk: unknown, handler: ClientHandler): CloudMain {
  const context = contextOnce(sdk);
  return async (event) => {
    try {
      const ctx = context();
      const wx = ctx.cloud.getWXContext() as { OPENID?: string; CLIENTIP?: string };
      if (!wx.OPENID) throw new AppError('UNAUTHENTICATED', 'this function must be called from the mini program');
      const caller: Caller = {
        openid: wx.OPENID,
        userHash: hashOpenid(wx.OPENID, ctx.env.openidHashSecret),
        clientIp: typeof wx.CLIENTIP === 'string' && wx.CLIENTIP ? wx.CLIENTIP : '127.0.0.1',
      };
      return { ok: true, ...(await handler(ctx, plainObject(event), caller)) };
    } catch (error) {
      if (isAppError(error)) return { ok: false, error: error.toBody() } satisfies Failure;
      log('error', 'function_failed', { error: error instanceof Error ? error.message : String(error) });
      return { ok: false, error: { code: 'INTERNAL', message: 'something went wrong on our side; please try again' } } satisfies Failure;
    }
  };
}

/** A function started by the platform, a timer or another function. Errors propagate so that the platform retries. */
export function triggeredFunction(sdk: unknown, handler: TriggerHandler): CloudMain {
  const context = contextOnce(sdk);
  return async (event) => handler(context(), plainObject(event));
}
