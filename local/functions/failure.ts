/**
 * How an invocation that did not answer is reported, to each kind of caller, in the platform's own
 * words.
 *
 * - `timeout`: the function ran into its time limit. SCF ends the invocation with status 433
 *   TimeLimitReached (https://cloud.tencent.com/document/product/583/42611) and the message
 *   "Invoking task timed out after N seconds" (N: the configured limit); CloudBase names it
 *   FUNCTIONS_TIME_LIMIT_EXCEEDED (https://docs.cloudbase.net/error-code/FUNCTIONS_TIME_LIMIT_EXCEEDED).
 *   A mini program's `wx.cloud.callFunction` fails with errCode -504003 and the errMsg
 *   "cloud.callFunction:fail Error: errCode: -504003 | errMsg: Invoking task timed out after 3 seconds"
 *   (as developers quote it from real devices; the SDK inside the mini program is not public).
 * - `error`: the handler threw (SCF 430 "User code exception caught"), or the function could not
 *   load: -504002, "functions execute fail".
 * - `stopped`: the instance went away under the invocation (killed, crashed): reported like `error`.
 */
export type FailureKind = 'timeout' | 'error' | 'stopped';

export class InvocationFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'InvocationFailure';
  }

  static timeout(seconds: number): InvocationFailure {
    return new InvocationFailure('timeout', `Invoking task timed out after ${seconds} seconds`);
  }
}

export function asFailure(error: unknown): InvocationFailure {
  return error instanceof InvocationFailure ? error : new InvocationFailure('error', error instanceof Error ? error.message : String(error));
}

/** wx.cloud.callFunction's error codes for a function that did not answer. */
const CLIENT_CODES: Record<FailureKind, number> = { timeout: -504003, error: -504002, stopped: -504002 };

/** What a mini program's `wx.cloud.callFunction` rejects with: `{ errCode, errMsg }`. */
export function clientFailure(error: unknown): { errCode: number; errMsg: string } {
  const failure = asFailure(error);
  const errCode = CLIENT_CODES[failure.kind];
  return { errCode, errMsg: `cloud.callFunction:fail Error: errCode: ${errCode} | errMsg: ${failure.message}` };
}

/**
 * The `code` CloudBase's server API answers `functions.invokeFunction` with (`cloud.callFunction`
 * in another function): wx-server-sdk maps it through TCB_ERR_CODE, where FUNCTIONS_EXECUTE_FAIL
 * is -504002 and an unknown code (FUNCTIONS_TIME_LIMIT_EXCEEDED) becomes -501001, and throws
 * `{ errCode, errMsg: "requestID …, <message>" }` (src/api/cloud/provider/tcb/api/callFunction.ts).
 */
export function serverFailureCode(error: unknown): { code: string; message: string } {
  const failure = asFailure(error);
  return { code: failure.kind === 'timeout' ? 'FUNCTIONS_TIME_LIMIT_EXCEEDED' : 'FUNCTIONS_EXECUTE_FAIL', message: failure.message };
}
