import type { CloudPayApi, Database, SubscribeMessageApi, WxCloud, WXContext } from '../core/platform/wxCloud';
import { assertInvocationAlive, currentInvocation, type FunctionHost } from './functionHost';
import type { LocalStore } from './store/localDatabase';

/**
 * The local runtime's `wx-server-sdk`: the same calls the functions make in the cloud, backed by
 * the embedded store, the function host, the payment simulator and a recorder of sent messages.
 */
export function createLocalSdk(parts: {
  store: LocalStore;
  host: () => FunctionHost;
  cloudPay: CloudPayApi;
  subscribeMessage: SubscribeMessageApi;
}): WxCloud {
  const database: Database = parts.store.database(assertInvocationAlive);
  return {
    DYNAMIC_CURRENT_ENV: 'local',
    init() {
      // Nothing to connect to: the store is embedded.
    },
    getWXContext(): WXContext {
      return { ...(currentInvocation()?.context ?? {}) };
    },
    database() {
      return database;
    },
    async callFunction({ name, data }) {
      assertInvocationAlive();
      const result = await parts.host().invoke(name, data ?? {});
      return { result, errMsg: 'cloud.callFunction:ok' };
    },
    cloudPay: wrapAlive(parts.cloudPay),
    openapi: { subscribeMessage: wrapAlive(parts.subscribeMessage) },
  };
}

function wrapAlive<T extends object>(api: T): T {
  return new Proxy(api, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        assertInvocationAlive();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
