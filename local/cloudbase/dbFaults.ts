import type { DbFaultRule, DbOp } from '../pay/faults';
import { tcbError, type ApiAnswer, type ApiCall, type ApiHook } from './dispatcher';

/**
 * The `db` faults (`POST /api/faults { "db": … }`): CloudBase's database failing as it does, for the
 * requests of one collection and operation.
 *
 * What the caller sees is decided by the real SDK, from what the server answers: wx-server-sdk
 * 4.0.2 maps the answer's `code` through its TCB_ERR_CODE table (index.js,
 * src/api/cloud/provider/tcb/config/error.config.ts; `checkError` in
 * src/api/database/api/database/helper/error-checker.ts) and throws `{ errCode, errMsg }`; a code it
 * does not know becomes -501001 (SYS_ERR). The codes and messages answered here are CloudBase's own
 * (https://docs.cloudbase.net/error-code/basic):
 *
 * - `error`: one of `DATABASE_REQUEST_FAILED` (-502001 "database request fail"), `SYS_ERR`
 *   (-501001), and `DATABASE_TIMEOUT` (the database's own time limit; unknown to the SDK's table, so
 *   -501001), whose message is the one CloudBase sends: "[FailedOperation.Timeout] Execution request
 *   timeout, …" (https://docs.cloudbase.net/error-code/DATABASE_TIMEOUT; a real answer quoted by
 *   developers reads `errCode: -501001 resource system error | errMsg: [FailedOperation.Timeout]
 *   Execution request timeout, Please check optimize your request(such as index), but if the
 *   problem persists, contact us.`). Nothing was done.
 * - `throttle`: `EXCEED_CONCURRENT_REQUEST_LIMIT` (-501004, "请求并发数超出环境配额": the
 *   environment's database connection and QPS quota, https://developers.weixin.qq.com/minigame/en/dev/wxcloud/reference/errcode.html).
 *   Nothing was done.
 * - `timeout`: no answer ever comes; @cloudbase/node-sdk's own request timeout fires
 *   (`onTimeout` in dist/utils/request-core.js: "request timeout", ESOCKETTIMEDOUT, which the SDK
 *   reports as -501001). Nothing was done.
 * - `lostAnswer`: the operation is done, then its answer is lost the same way: the caller sees the
 *   timeout although the write happened.
 */

const DATABASE_ACTIONS: Record<string, DbOp> = {
  'database.getDocument': 'get',
  'database.calculateDocument': 'count',
  'database.insertDocument': 'insert',
  'database.modifyDocument': 'update',
  'database.modifyAndReturnDoc': 'update',
  'database.removeDocument': 'remove',
};

const TRANSIENT_ERRORS: [code: string, message: string][] = [
  ['DATABASE_REQUEST_FAILED', 'database request fail'],
  ['SYS_ERR', 'system error'],
  ['DATABASE_TIMEOUT', '[FailedOperation.Timeout] Execution request timeout, Please check optimize your request(such as index), but if the problem persists, contact us.'],
];

/** The `db` fault that applies to a request: the most specific rule whose scope it is in. */
export function ruleFor(rules: readonly DbFaultRule[], collection: string, op: DbOp): DbFaultRule | undefined {
  const specificity = (rule: DbFaultRule) => (rule.collection !== null ? 2 : 0) + (rule.op !== null ? 1 : 0);
  return rules
    .filter((rule) => (rule.collection === null || rule.collection === collection) && (rule.op === null || rule.op === op))
    .sort((a, b) => specificity(b) - specificity(a))[0];
}

export type DbFaultKind = 'error' | 'throttle' | 'timeout' | 'lostAnswer';

/** Which fault, if any, a request gets: one draw against the rule's rates. */
export function drawFault(rule: DbFaultRule | undefined, roll: number = Math.random()): DbFaultKind | null {
  if (!rule) return null;
  let bound = 0;
  for (const kind of ['error', 'throttle', 'timeout', 'lostAnswer'] as const) {
    bound += rule[kind];
    if (roll < bound) return kind;
  }
  return null;
}

/** Counts of the faults that happened, by kind (`/api/stats`). */
export type DbFaultCounts = Record<DbFaultKind, number>;

/** The dispatcher hook that injects the `db` faults into the functions' database requests. */
export function dbFaultHook(rules: () => readonly DbFaultRule[], counts: DbFaultCounts): ApiHook {
  return async (call: ApiCall, next: () => Promise<ApiAnswer>): Promise<ApiAnswer> => {
    const op = DATABASE_ACTIONS[call.action];
    const collection = call.params.collectionName;
    if (!op || typeof collection !== 'string') return next();
    const fault = drawFault(ruleFor(rules(), collection, op));
    if (!fault) return next();
    counts[fault] += 1;
    switch (fault) {
      case 'error': {
        const [code, message] = TRANSIENT_ERRORS[Math.floor(Math.random() * TRANSIENT_ERRORS.length)] as [string, string];
        return tcbError(code, message, call.invocation.id);
      }
      case 'throttle':
        return tcbError('EXCEED_CONCURRENT_REQUEST_LIMIT', 'exceed concurrent request limit', call.invocation.id);
      case 'timeout':
        return { noAnswer: true };
      case 'lostAnswer':
        await next();
        return { noAnswer: true };
    }
  };
}
