/**
 * The one list of cloud functions. Everything else is derived from it or checked against it by
 * test/deploy-manifest.test.ts: the folders' wrappers (cloudfunctions/<name>/index.ts), their
 * config.json, the deployment manifest (cloudbaserc.json), the local runtime's routing and the
 * mini program's function names (miniprogram/services/cloud.ts).
 */

/**
 * The CloudBase runtime every function is created with. `openai` needs a global `fetch`, which
 * Node.js has from 18 on; CloudBase lists Node.js 18.15 among its runtimes
 * (https://docs.cloudbase.net/cloud-function/runtime-support) and `Nodejs18.15` is the CLI's own
 * default (https://docs.cloudbase.net/cli-v1/functions/configs). A runtime is fixed when a
 * function is created: changing it means deleting and recreating the function.
 */
export const NODE_RUNTIME = 'Nodejs18.15';

/** Memory sizes CloudBase accepts for a function, in MB (https://docs.cloudbase.net/cli-v1/functions/configs). */
export const MEMORY_SIZES_MB = [128, 256, 512, 1024, 2048] as const;
export type MemorySizeMb = (typeof MEMORY_SIZES_MB)[number];

/** An event function's timeout is 1–60 s (https://docs.cloudbase.net/cli-v1/functions/configs). */
export const MAX_TIMEOUT_SECONDS = 60;

/** A timer trigger: a 7-field cron (second minute hour day month weekday year), evaluated in UTC+8. */
export interface TimerTrigger {
  name: string;
  type: 'timer';
  config: string;
}

export interface FunctionSpec {
  /**
   * `client`: the mini program calls it; `platform`: a payment callback, a timer or another function;
   * `http`: reached only over its HTTP access path (`httpFunction`).
   */
  caller: 'client' | 'platform' | 'http';
  timeoutSeconds: number;
  memoryMb: MemorySizeMb;
  /** Open API calls made through `cloud.openapi` (config.json `permissions.openapi`). */
  openapi: readonly string[];
  triggers: readonly TimerTrigger[];
  /**
   * A platform function: the immediate callers it expects, as the last hop of
   * `getWXContext().SOURCE` (the getWXContext reference lists the values:
   * https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/utils/Cloud.getWXContext.html).
   * Every other source is refused with FORBIDDEN before anything is read (core/functions/serve.ts).
   */
  sources?: readonly InvocationSource[];
  /**
   * An HTTP cloud function (函数型云函数: https://docs.cloudbase.net/cloud-function/develop/how-to-writing-functions-code),
   * not an event function: its folder's `scf_bootstrap` starts @cloudbase/functions-framework
   * (`tcb-ff`), which calls `main(event, context)` for each request on port 9000; `accessPath` is
   * its CloudBase HTTP access path (https://docs.cloudbase.net/service/access-cloud-function).
   * Created with `Type: 'HTTP'` (@cloudbase/manager-node lib/function/index.js, `configToParams`).
   */
  httpFunction?: { accessPath: string };
  /**
   * Message push (消息推送, cloud-function mode): the events CloudBase's console routes to this
   * function (云开发 → 设置 → 其他设置 → 消息推送, one `<MsgType "event", Event>` pair per line,
   * https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/openapi.md).
   */
  messagePush?: readonly string[];
}

/**
 * `wx_trigger`: a timer; `wx_paycallback`: a cloud-pay result callback; `wx_http`: CloudBase HTTP
 * access; `scf`: another cloud function (`cloud.callFunction`); `wx_unknown` ("微信未知来源调用"):
 * what a message push is taken to carry, since no WeChat page says what SOURCE a pushed
 * invocation has (docs/VIRTUAL-PAYMENT.md: log the SOURCE of the first real push).
 */
export type InvocationSource = 'wx_trigger' | 'wx_paycallback' | 'wx_http' | 'scf' | 'wx_unknown';

const SUBSCRIBE_SEND = 'subscribeMessage.send';
/** Content security (docs/COMPLIANCE.md): the prompt in createOrder, the answer in generate. */
const MSG_SEC_CHECK = 'security.msgSecCheck';
/** 发货信息管理: after completion in generate, retried by reconcile (docs/COMPLIANCE.md). */
const UPLOAD_SHIPPING = 'wxa.sec.order.uploadShippingInfo';

export const FUNCTIONS = {
  createOrder: { caller: 'client', timeoutSeconds: 10, memoryMb: 256, openapi: [MSG_SEC_CHECK], triggers: [] },
  // Long-polls for up to 3 s, so it needs more than the platform's default 3 s.
  getOrder: { caller: 'client', timeoutSeconds: 10, memoryMb: 256, openapi: [], triggers: [] },
  listOrders: { caller: 'client', timeoutSeconds: 5, memoryMb: 256, openapi: [], triggers: [] },
  cancelOrder: { caller: 'client', timeoutSeconds: 10, memoryMb: 256, openapi: [], triggers: [] },
  listTiers: { caller: 'client', timeoutSeconds: 3, memoryMb: 256, openapi: [], triggers: [] },
  // Virtual payment: WeChat's token balance, and a top-up's signed sheet (docs/VIRTUAL-PAYMENT.md).
  getBalance: { caller: 'client', timeoutSeconds: 10, memoryMb: 256, openapi: [], triggers: [] },
  createTopUp: { caller: 'client', timeoutSeconds: 10, memoryMb: 256, openapi: [], triggers: [] },
  // Virtual payment's pushes, routed here by message push; each is a hint confirmed with query_order.
  xpayNotify: {
    caller: 'platform',
    timeoutSeconds: 20,
    memoryMb: 256,
    openapi: [SUBSCRIBE_SEND],
    triggers: [],
    sources: ['wx_unknown'],
    messagePush: ['xpay_goods_deliver_notify', 'xpay_coin_pay_notify', 'xpay_refund_notify', 'xpay_complaint_notify'],
  },
  // Conversations (docs/ARCHITECTURE.md, "Conversations"): history, one conversation, deletion.
  listConversations: { caller: 'client', timeoutSeconds: 5, memoryMb: 256, openapi: [], triggers: [] },
  getConversation: { caller: 'client', timeoutSeconds: 5, memoryMb: 256, openapi: [], triggers: [] },
  // Erases up to 50 turns, each an update or two: more than the platform's default 3 s.
  deleteConversation: { caller: 'client', timeoutSeconds: 20, memoryMb: 256, openapi: [], triggers: [] },
  // 举报/反馈 on an answer (docs/COMPLIANCE.md).
  reportAnswer: { caller: 'client', timeoutSeconds: 5, memoryMb: 256, openapi: [], triggers: [] },
  payCallback: { caller: 'platform', timeoutSeconds: 20, memoryMb: 256, openapi: [], triggers: [], sources: ['wx_paycallback'] },
  // WeChat Pay API v3 notifications, through CloudBase HTTP access.
  payNotify: { caller: 'platform', timeoutSeconds: 20, memoryMb: 256, openapi: [SUBSCRIBE_SEND], triggers: [], sources: ['wx_http'] },
  refundCallback: { caller: 'platform', timeoutSeconds: 20, memoryMb: 256, openapi: [SUBSCRIBE_SEND], triggers: [], sources: ['wx_paycallback'] },
  // A generation streams for up to the function's whole window. Started by whoever confirmed the payment.
  generate: { caller: 'platform', timeoutSeconds: 60, memoryMb: 256, openapi: [SUBSCRIBE_SEND, MSG_SEC_CHECK, UPLOAD_SHIPPING], triggers: [], sources: ['scf'] },
  reconcile: {
    caller: 'platform',
    sources: ['wx_trigger'],
    timeoutSeconds: 60,
    memoryMb: 256,
    openapi: [SUBSCRIBE_SEND, UPLOAD_SHIPPING],
    triggers: [{ name: 'reconcileTimer', type: 'timer', config: '0 */2 * * * * *' }],
  },
  // One SSE connection is one invocation, as long as the stream lasts (docs/STREAMING.md): it ends
  // itself 5 s before this limit and the page reconnects. 60 s is the longest limit this project
  // relies on for any function (MAX_TIMEOUT_SECONDS).
  streamOrder: { caller: 'http', timeoutSeconds: 60, memoryMb: 128, openapi: [], triggers: [], httpFunction: { accessPath: '/stream' } },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

type NamesFor<C extends FunctionSpec['caller']> = {
  [N in FunctionName]: (typeof FUNCTIONS)[N]['caller'] extends C ? N : never;
}[FunctionName];

/** Functions the mini program may call. Everything else is started by the platform or a timer. */
export type ClientFunctionName = NamesFor<'client'>;
export type TriggeredFunctionName = NamesFor<'platform'>;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export const CLIENT_CALLABLE = FUNCTION_NAMES.filter((name): name is ClientFunctionName => FUNCTIONS[name].caller === 'client');

export const TRIGGERED = FUNCTION_NAMES.filter((name): name is TriggeredFunctionName => FUNCTIONS[name].caller === 'platform');

export type HttpFunctionName = NamesFor<'http'>;

/** The HTTP cloud functions: run by the Functions Framework, never by `cloud.callFunction`. */
export const HTTP_FUNCTIONS = FUNCTION_NAMES.filter((name): name is HttpFunctionName => FUNCTIONS[name].caller === 'http');

export function isClientCallable(name: string): name is ClientFunctionName {
  return (CLIENT_CALLABLE as readonly string[]).includes(name);
}

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** The function's config.json, as WeChat DevTools and the local runtime read it. */
export interface FunctionConfigJson {
  timeout: number;
  permissions: { openapi: string[] };
  triggers?: TimerTrigger[];
}

export function configJsonFor(name: FunctionName): FunctionConfigJson {
  const spec: FunctionSpec = FUNCTIONS[name];
  return {
    timeout: spec.timeoutSeconds,
    permissions: { openapi: [...spec.openapi] },
    ...(spec.triggers.length > 0 ? { triggers: spec.triggers.map((trigger) => ({ ...trigger })) } : {}),
  };
}
