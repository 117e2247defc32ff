import type { FunctionConfig } from '../functions/host';
import { tcbError, type ApiHandler, type ApiCall } from './dispatcher';
import { decodeOpenApiRequest, encodeOpenApiAnswer } from './openapiWire';

/** WeChat's answer to a server API call: `{ errcode, errmsg, … }` as its HTTPS API returns it. */
export type WeChatAnswer = Record<string, unknown> & { errcode: number; errmsg: string };

export interface OpenApiContext {
  call: ApiCall;
  appid: string;
}

/**
 * One cloud call (`cloud.openapi.<name>(…)`): it receives the request body in WeChat's own
 * snake_case field names (the SDK converts the camelCase the function passed) and answers in
 * WeChat's JSON; the SDK throws for a non-zero `errcode` and converts the rest back to camelCase.
 */
export type OpenApiHandler = (body: Record<string, unknown>, context: OpenApiContext) => Promise<WeChatAnswer>;

/**
 * Cloud calls by name. A function may only call what its config.json lists under
 * `permissions.openapi`; otherwise the platform answers -604101
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/openapi/openapi.html).
 */
export class OpenApiRegistry {
  private readonly handlers = new Map<string, OpenApiHandler>();

  constructor(private readonly configOf: (functionName: string) => FunctionConfig | undefined) {}

  register(apiName: string, handler: OpenApiHandler): this {
    this.handlers.set(apiName, handler);
    return this;
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  /** The `wx.openApi` action of the CloudBase API. */
  readonly action: ApiHandler = async (call) => {
    const apiName = typeof call.params.apiName === 'string' ? call.params.apiName : '';
    const requestData = call.params.requestData;
    if (!apiName || !Buffer.isBuffer(requestData)) return tcbError('INVALID_PARAM', 'apiName and requestData are required');
    const raw = (body: Buffer) => ({ raw: body, contentType: 'application/octet-stream' });
    const permitted = this.configOf(call.invocation.functionName)?.permissions?.openapi ?? [];
    if (!permitted.includes(apiName)) return raw(encodeOpenApiAnswer({ errorCode: -604101 }));
    const handler = this.handlers.get(apiName);
    if (!handler) return raw(encodeOpenApiAnswer({ json: { errcode: -604100, errmsg: `api ${apiName} is not emulated by the local runtime` } }));
    const { appid, body } = decodeOpenApiRequest(requestData);
    return raw(encodeOpenApiAnswer({ json: await handler(body, { call, appid }) }));
  };
}
