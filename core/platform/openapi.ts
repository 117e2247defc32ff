import { inspect } from 'node:util';
import type { WxCloud } from './wxCloud';

/**
 * The typed boundary for the compliance calls the functions make through `cloud.openapi` (云调用).
 * `wx-server-sdk` builds `cloud.openapi` as a proxy: the property path is the API's name
 * (`cloud.openapi.security.msgSecCheck(…)` calls `security.msgSecCheck`), see
 * wx-server-sdk 4.0.2 `index.js`, `src/api/openapi/namespace/generic.ts` (`getCallableObject`,
 * `getGenericOpenAPI`). What the SDK does around every such call (`callWXOpenAPI` there):
 * - the request's keys are converted camelCase → snake_case (`convertCase`, recursive; values are
 *   untouched, and keys already in snake_case stay as they are), so the platform's own field names
 *   can be passed as they are documented;
 * - an answer whose `errcode` is not 0 is THROWN as a `CloudSDKError` carrying `errCode` and
 *   `errMsg` (`openapi.<api>:fail …`); it never resolves;
 * - otherwise `errcode`/`errmsg` are deleted, every key is converted snake_case → camelCase
 *   (`trace_id` → `traceId`; recursive, only `_` followed by a lowercase letter is folded), and the
 *   result is `{ ...converted, errMsg: 'openapi.<api>:ok', errCode: 0 }`.
 */

/** `security.msgSecCheck`, version 2: https://developers.weixin.qq.com/miniprogram/dev/server/API/sec-center/sec-check/api_msgseccheck.html */
export interface MsgSecCheckRequest {
  content: string;
  version: 2;
  /** 1 资料, 2 评论, 3 论坛, 4 社交日志. */
  scene: 1 | 2 | 3 | 4;
  /** The user's openid; the user must have opened the mini program within the last two hours. */
  openid: string;
}

/**
 * `wxa.sec.order.uploadShippingInfo` (发货信息录入):
 * https://developers.weixin.qq.com/miniprogram/dev/server/API/order_shipping/api_uploadshippinginfo
 */
export interface UploadShippingInfoRequest {
  order_key: { order_number_type: 1; mchid: string; out_trade_no: string } | { order_number_type: 2; transaction_id: string };
  /** 1 express, 2 same-city, 3 virtual goods, 4 self-pickup. */
  logistics_type: 1 | 2 | 3 | 4;
  /** 1 UNIFIED_DELIVERY, 2 SPLIT_DELIVERY. */
  delivery_mode: 1 | 2;
  shipping_list: { item_desc: string; tracking_no?: string; express_company?: string }[];
  /** RFC 3339, e.g. `2022-12-15T13:29:35.120+08:00`. */
  upload_time: string;
  payer: { openid: string };
}

/** What every `cloud.openapi.*` call resolves with (see above): the answer in camelCase, plus errCode 0. */
export type OpenApiAnswer = Record<string, unknown> & { errCode?: number; errMsg?: string };

export interface ComplianceOpenApi {
  security: { msgSecCheck(request: MsgSecCheckRequest): Promise<OpenApiAnswer> };
  wxa: { sec: { order: { uploadShippingInfo(request: UploadShippingInfoRequest): Promise<OpenApiAnswer> } } };
}

/** `cloud.openapi`, seen through the compliance calls above (the SDK types it as `any`). */
export function complianceOpenApi(cloud: WxCloud): ComplianceOpenApi {
  return cloud.openapi as unknown as ComplianceOpenApi;
}

/** A failed openapi call, as far as it can be told: the platform's errcode when the SDK threw one. */
export interface OpenApiFailure {
  errCode?: number;
  message: string;
}

/** Reads a rejection of a `cloud.openapi.*` call (a `CloudSDKError` with `errCode`/`errMsg`, or anything else). */
export function openApiFailure(error: unknown): OpenApiFailure {
  if (error !== null && typeof error === 'object') {
    const { errCode, errMsg, message } = error as { errCode?: unknown; errMsg?: unknown; message?: unknown };
    const code = typeof errCode === 'number' ? errCode : typeof errCode === 'string' && /^-?\d+$/.test(errCode) ? Number(errCode) : undefined;
    const text = typeof errMsg === 'string' ? errMsg : typeof message === 'string' ? message : inspect(error, { depth: 2, breakLength: Infinity });
    return code === undefined ? { message: text.slice(0, 200) } : { errCode: code, message: text.slice(0, 200) };
  }
  return { message: String(error).slice(0, 200) };
}
