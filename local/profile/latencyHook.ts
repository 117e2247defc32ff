import type { ApiHook } from '../cloudbase/dispatcher';
import { sleep, type DelaySource, type DelayKind } from './cloudProfile';

function kindOf(action: string): DelayKind | null {
  if (action.startsWith('database.')) return 'database';
  if (action === 'functions.invokeFunction') return 'callFunction';
  if (action === 'wx.openApi' || action === 'wx.wxPayApi') return 'cloudCall';
  return null;
}

/**
 * The profile's delays on every CloudBase API request (registered with `dispatcher.use`). A round
 * trip is split: half before the handler runs (the request on its way), half after (the answer on
 * its way back), so a conditional update lands in the store when it would in the cloud. A
 * `callFunction` pays its hop before the callee starts; the callee's own cold start and run follow.
 */
export function latencyHook(delays: DelaySource): ApiHook {
  return async (call, next) => {
    const kind = kindOf(call.action);
    if (!kind) return next();
    const total = delays.draw(kind);
    if (kind === 'callFunction') {
      await sleep(total);
      return next();
    }
    await sleep(total / 2);
    const answer = await next();
    await sleep(total / 2);
    return answer;
  };
}
