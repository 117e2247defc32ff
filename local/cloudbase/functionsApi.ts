import { callers } from '../functions/callers';
import { serverFailureCode } from '../functions/failure';
import type { FunctionHost } from '../functions/host';
import { tcbError, type ApiHandler } from './dispatcher';

/**
 * `functions.invokeFunction` (`cloud.callFunction`): @cloudbase/node-sdk sends `function_name`
 * and `request_data` (the JSON text of `data`) and reads `data.response_data`, the JSON text of
 * what the callee returned (dist/functions/index.js, `callFunction`); an error `code` becomes a
 * thrown error in wx-server-sdk (`callFunction` in src/api/cloud/provider/tcb/api/callFunction.ts);
 * a callee that did not answer is reported with the platform's code (../functions/failure.ts).
 * The callee's SOURCE is the chain the SDK reports in `X-TCB-Source` (`<caller's SOURCE>,scf`).
 */
export function invokeFunctionAction(host: () => FunctionHost): ApiHandler {
  return async (call) => {
    const name = call.params.function_name;
    if (typeof name !== 'string' || !host().has(name)) return tcbError('FUNCTIONS_REQUEST_FAIL', `function ${String(name)} not found`, call.invocation.id);
    let data: unknown;
    try {
      const text = call.params.request_data;
      data = typeof text === 'string' && text ? (JSON.parse(text) as unknown) : {};
    } catch {
      return tcbError('INVALID_PARAM', 'request_data must be JSON', call.invocation.id);
    }
    try {
      const result = await host().invoke(name, data, callers.function(call.source));
      return { json: { requestId: call.invocation.id, data: { response_data: JSON.stringify(result ?? null) } } };
    } catch (error) {
      const { code, message } = serverFailureCode(error);
      return tcbError(code, message, call.invocation.id);
    }
  };
}
