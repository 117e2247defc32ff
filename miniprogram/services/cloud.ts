/**
 * The one door from the pages to the cloud functions. Inside WeChat it is
 * `wx.cloud.callFunction`; in local mode (no `wx.cloud`, or `globalData.localRuntimeUrl` set by the
 * browser preview) it is `POST ${url}/api/functions/:name` with `{ data }`, answered `{ result }`.
 * Pages never know which. Every call resolves to an Outcome: a call that never reached the function
 * becomes `{ ok: false, error: { code: 'NETWORK' } }`, so pages have one error path.
 */
import { appGlobals, CALL_TIMEOUT_MS, LOCAL_RUNTIME_URL } from './config';
import type {
  CancelOrderInput,
  CancelOrderResult,
  CreateOrderInput,
  CreateOrderResult,
  CreateTopUpInput,
  CreateTopUpResult,
  DeleteConversationInput,
  DeleteConversationResult,
  Failure,
  GetBalanceInput,
  GetBalanceResult,
  GetConversationInput,
  GetConversationResult,
  GetOrderInput,
  GetOrderResult,
  ListConversationsInput,
  ListConversationsResult,
  ListOrdersInput,
  ListOrdersResult,
  ListTiersResult,
  Outcome,
  ReportAnswerInput,
  ReportAnswerResult,
} from './types';

export type FunctionName =
  | 'createOrder'
  | 'getOrder'
  | 'listOrders'
  | 'cancelOrder'
  | 'listTiers'
  | 'getBalance'
  | 'createTopUp'
  | 'listConversations'
  | 'getConversation'
  | 'deleteConversation'
  | 'reportAnswer';

/** Delivers one call and resolves with the function's own answer (its `result`). */
export type Transport = (name: FunctionName, data: object) => Promise<unknown>;

export interface CloudApi {
  listTiers(): Promise<Outcome<ListTiersResult>>;
  /** The user's token balance as WeChat holds it; may answer SESSION_EXPIRED (services/login.ts). */
  getBalance(input: GetBalanceInput): Promise<Outcome<GetBalanceResult>>;
  /** Signs a token pack's top-up: the parameters of wx.requestVirtualPayment. */
  createTopUp(input: CreateTopUpInput): Promise<Outcome<CreateTopUpResult>>;
  createOrder(input: CreateOrderInput): Promise<Outcome<CreateOrderResult>>;
  getOrder(input: GetOrderInput): Promise<Outcome<GetOrderResult>>;
  listOrders(input: ListOrdersInput): Promise<Outcome<ListOrdersResult>>;
  cancelOrder(input: CancelOrderInput): Promise<Outcome<CancelOrderResult>>;
  listConversations(input: ListConversationsInput): Promise<Outcome<ListConversationsResult>>;
  getConversation(input: GetConversationInput): Promise<Outcome<GetConversationResult>>;
  deleteConversation(input: DeleteConversationInput): Promise<Outcome<DeleteConversationResult>>;
  /** 举报/反馈 for one answer. */
  reportAnswer(input: ReportAnswerInput): Promise<Outcome<ReportAnswerResult>>;
}

function networkFailure(message: string): Failure {
  return { ok: false, error: { code: 'NETWORK', message } };
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'errMsg' in error) return String((error as { errMsg: unknown }).errMsg);
  return error instanceof Error ? error.message : String(error);
}

/** Accepts only `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`; anything else is a broken call. */
function asOutcome<T extends object>(answer: unknown): Outcome<T> {
  if (answer === null || typeof answer !== 'object') return networkFailure('the server sent no readable answer');
  const body = answer as { ok?: unknown; error?: unknown };
  if (body.ok === true) return answer as Outcome<T>;
  if (body.ok === false && body.error && typeof body.error === 'object') {
    const error = body.error as { code?: unknown; message?: unknown };
    if (typeof error.code === 'string' && typeof error.message === 'string') return answer as Failure;
  }
  return networkFailure('the server sent an answer of an unknown shape');
}

export function createCloudApi(transport: Transport): CloudApi {
  async function call<T extends object>(name: FunctionName, data: object): Promise<Outcome<T>> {
    try {
      return asOutcome<T>(await transport(name, data));
    } catch (error) {
      return networkFailure(errorText(error));
    }
  }
  return {
    listTiers: () => call('listTiers', {}),
    getBalance: (input) => call('getBalance', input),
    createTopUp: (input) => call('createTopUp', input),
    createOrder: (input) => call('createOrder', input),
    getOrder: (input) => call('getOrder', input),
    listOrders: (input) => call('listOrders', input),
    cancelOrder: (input) => call('cancelOrder', input),
    listConversations: (input) => call('listConversations', input),
    getConversation: (input) => call('getConversation', input),
    deleteConversation: (input) => call('deleteConversation', input),
    reportAnswer: (input) => call('reportAnswer', input),
  };
}

export const wxCloudTransport: Transport = async (name, data) => {
  const response = await wx.cloud.callFunction({ name, data: data as WechatMiniprogram.IAnyObject });
  return response.result;
};

export function localTransport(baseUrl: string): Transport {
  return (name, data) =>
    new Promise((resolve, reject) => {
      wx.request({
        url: `${baseUrl}/api/functions/${name}`,
        method: 'POST',
        header: { 'content-type': 'application/json' },
        data: { data },
        timeout: CALL_TIMEOUT_MS,
        success: (response) => {
          const body = response.data as { result?: unknown; errMsg?: unknown } | string | undefined;
          if (response.statusCode === 200 && body && typeof body === 'object' && 'result' in body) {
            resolve(body.result);
          } else {
            const detail = body && typeof body === 'object' && typeof body.errMsg === 'string' ? `: ${body.errMsg}` : '';
            reject(new Error(`local runtime answered ${response.statusCode}${detail}`));
          }
        },
        fail: (error) => reject(new Error(error.errMsg)),
      });
    });
}

/** Local mode when the preview asked for it, or where there is no CloudBase at all. */
export function defaultTransport(): Transport {
  const { localRuntimeUrl } = appGlobals();
  if (typeof localRuntimeUrl === 'string') return localTransport(localRuntimeUrl);
  if (typeof wx.cloud === 'undefined' || typeof wx.cloud.callFunction !== 'function') return localTransport(LOCAL_RUNTIME_URL);
  return wxCloudTransport;
}

let injected: CloudApi | null = null;
let chosen: CloudApi | null = null;

/** Replaces the client (tests, benchmarks); `null` goes back to the default. */
export function setCloudApi(api: CloudApi | null): void {
  injected = api;
}

/** The client every page uses. */
export function cloudApi(): CloudApi {
  if (injected) return injected;
  if (!chosen) chosen = createCloudApi(defaultTransport());
  return chosen;
}
