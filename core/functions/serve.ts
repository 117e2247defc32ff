import { createContext, type AppContext } from '../context';
import { AppError, isAppError, type Failure } from '../errors';
import { log } from '../log';
import { asWxCloud } from '../platform/wxCloud';
import { FUNCTIONS, type FunctionSpec, type TriggeredFunctionName } from './catalog';
import { hashOpenid } from '../security/identity';

export interface Caller {
  openid: string;
  userHash: string;
  clientIp: string;
}

export type ClientHandler = (ctx: AppContext, input: Record<string, unknown>, caller: Caller) => Promise<object>;
export type TriggerHandler = (ctx: AppContext, event: Record<string, unknown>) => Promise<unknown>;
export type CloudMain = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * How long the SDK waits for any one answer of CloudBase (a database operation, a cloud call, cloud
 * pay, `callFunction`) before it fails the call. @cloudbase/node-sdk's default is 15 s
 * (`timeout: timeout || 15000` in `init`, dist/cloudbase.js; `defaultTimeout` in
 * dist/utils/tcbapirequester.js), longer than most of the functions' own limits (3–20 s): a request
 * that never comes back would run the function into its time limit, where nothing can be cleaned
 * up or answered. At 3 s (the SDK's own "longer than 3s" slow-request warning, `setSlowWarning` in
 * the same file), a function of 10 s survives two lost answers and still answers its caller.
 * wx-server-sdk passes `init`'s options on to @cloudbase/node-sdk unchanged
 * (`getProviderInitOptions`, `provider.init` in wx-server-sdk 4.0.2 index.js).
 */
export const SDK_REQUEST_TIMEOUT_MS = 3_000;

/** Initialises the SDK for the environment the function runs in, once per instance. */
function contextOnce(sdk: unknown): () => AppContext {
  const cloud = asWxCloud(sdk);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV, timeout: SDK_REQUEST_TIMEOUT_MS });
  let ctx: AppContext | null = null;
  return () => {
    ctx ??= createContext(cloud);
    return ctx;
  };
}

function plainObject(event: unknown): Record<string, unknown> {
  return event !== null && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
}

/** A context value as text: the SDK hands an all-digit value over as a number (see WXContext). */
function contextText(value: string | number | undefined): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
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
      const wx = ctx.cloud.getWXContext();
      const openid = contextText(wx.OPENID);
      if (openid === undefined) throw new AppError('UNAUTHENTICATED', 'this function must be called from the mini program');
      const caller: Caller = {
        openid,
        userHash: hashOpenid(openid, ctx.env.openidHashSecret),
        clientIp: contextText(wx.CLIENTIP) ?? '127.0.0.1',
      };
      return { ok: true, ...(await handler(ctx, plainObject(event), caller)) };
    } catch (error) {
      if (isAppError(error)) return { ok: false, error: error.toBody() } satisfies Failure;
      log('error', 'function_failed', { error: error instanceof Error ? error.message : String(error) });
      return { ok: false, error: { code: 'INTERNAL', message: 'something went wrong on our side; please try again' } } satisfies Failure;
    }
  };
}

/** The immediate caller, from `getWXContext().SOURCE` (the last entry of the chain). */
export function lastHop(source: unknown): string {
  return typeof source === 'string' ? (source.split(',').pop() ?? '').trim() : '';
}

/**
 * A function started by the platform (a timer, a pay callback, HTTP access, a message push) or by
 * another function. Any mini program can call any function by name, and anything may claim any
 * source, so the immediate caller must be one the catalog lists for this function
 * (`FUNCTIONS[name].sources`): every other source (a client, garbage, a chain ending elsewhere) is
 * refused with `FORBIDDEN` before anything is read or changed. Other errors propagate so that the
 * platform retries.
 */
export function triggeredFunction(sdk: unknown, name: TriggeredFunctionName, handler: TriggerHandler): CloudMain {
  const context = contextOnce(sdk);
  const expected: readonly string[] = (FUNCTIONS[name] as FunctionSpec).sources ?? [];
  return async (event) => {
    const ctx = context();
    const hop = lastHop((ctx.cloud.getWXContext() as { SOURCE?: unknown }).SOURCE);
    if (!expected.includes(hop)) {
      log('warn', 'internal_function_refused', { function: name, source: hop.slice(0, 40) });
      return { ok: false, error: new AppError('FORBIDDEN', 'this function is not callable from a client').toBody() } satisfies Failure;
    }
    return handler(ctx, plainObject(event));
  };
}
