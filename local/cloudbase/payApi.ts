import type { PayFaults } from '../pay/faults';
import type { PaySimulator } from '../pay/simulator';
import { tcbError, type ApiHandler } from './dispatcher';

/**
 * The `wx.wxPayApi` action (cloud pay). wx-server-sdk's `callCloudPayAPI` sends `apiName`
 * (`unifiedOrder`, `queryOrder`, …), `requestData` (the JSON of the snake_case request) and
 * `apiOptions` (`ApiOptions { appid }`), and reads the answer as bytes holding WeChat Pay's JSON
 * (`callGeneralOpenAPI` in src/api/cloud/provider/tcb/api/callWXOpenAPI.ts). The bytes must not be
 * labelled `application/json; charset=utf-8`, or @cloudbase/node-sdk parses them first and the SDK
 * takes the object for an error (`handleWxOpenApiData` in dist/utils/tcbapirequester.js).
 * queryRefund's answer holds JSON lists (`refund_status_list`, …): the SDK's `convertCase` renames
 * keys only, recursing into objects (and objects inside lists), so the lists' strings arrive as sent.
 */
export function wxPayApiAction(simulator: PaySimulator, faults: () => PayFaults): ApiHandler {
  return async (call) => {
    const apiName = typeof call.params.apiName === 'string' ? call.params.apiName : '';
    const requestData = call.params.requestData;
    if (!apiName || !Buffer.isBuffer(requestData)) return tcbError('INVALID_PARAM', 'apiName and requestData are required');
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(requestData.toString('utf8')) as Record<string, unknown>;
    } catch {
      return tcbError('INVALID_PARAM', 'requestData must be JSON');
    }
    // The `refundLost` fault: the call times out before WeChat Pay has it (the SDK throws).
    if (apiName === 'refund' && Math.random() < faults().refundLost) return tcbError('SERVER_TIMEOUT', 'cloud pay refund timed out (injected)');
    const answer = await simulator.wxPayApi(apiName, request);
    if (!answer) return tcbError('INVALID_PARAM', `cloud pay has no api ${apiName} in the local runtime`);
    return { raw: Buffer.from(JSON.stringify(answer)), contentType: 'application/octet-stream' };
  };
}
