import type { Invocation } from '../functions/host';
import type { ApiParams } from './wire';

/** One CloudBase server API request, authenticated and tagged with the invocation that sent it. */
export interface ApiCall {
  /** `database.getDocument`, `functions.invokeFunction`, `wx.openApi`, `wx.wxPayApi`, … */
  action: string;
  params: ApiParams;
  invocation: Invocation;
  /** The caller's SOURCE chain as the SDK reports it (`X-TCB-Source`, e.g. `wx_client,scf`). */
  source: string;
}

/**
 * A JSON answer (@cloudbase/node-sdk parses it), raw bytes (`wx.openApi` / `wx.wxPayApi` are read
 * as a Buffer), or none at all (a fault: the caller's own request timeout must fire).
 */
export type ApiAnswer = { json: unknown } | { raw: Buffer; contentType: string } | { noAnswer: true };

export type ApiHandler = (call: ApiCall) => Promise<ApiAnswer>;
/** Wraps every request (a latency profile, counters, tracing): call `next()` to go on. */
export type ApiHook = (call: ApiCall, next: () => Promise<ApiAnswer>) => Promise<ApiAnswer>;

export interface ApiCounters {
  dbReads: number;
  dbWrites: number;
  functionCalls: number;
  openapiCalls: number;
  payCalls: number;
}

const READS = new Set(['database.getDocument', 'database.calculateDocument']);
const WRITES = new Set(['database.insertDocument', 'database.modifyDocument', 'database.removeDocument', 'database.modifyAndReturnDoc']);
const KEPT_INVOCATIONS = 2_000;

/**
 * A CloudBase error as the server API returns it: HTTP 200 with `{ code, message }`.
 * @cloudbase/node-sdk passes it through (`request` in dist/utils/tcbapirequester.js) and
 * wx-server-sdk maps `code` through its TCB_ERR_CODE table (unknown codes become -501001).
 */
export function tcbError(code: string, message: string, requestId = ''): ApiAnswer {
  return { json: { code, message, requestId } };
}

function zero(): ApiCounters {
  return { dbReads: 0, dbWrites: 0, functionCalls: 0, openapiCalls: 0, payCalls: 0 };
}

/**
 * The one place every CloudBase API request of every function passes through: database
 * operations, function-to-function calls, cloud calls (`wx.openApi`) and cloud pay
 * (`wx.wxPayApi`). It counts per invocation and runs the hooks registered with `use()` around the
 * handler. Requests of an invocation that has ended are served like any other: a frozen instance's
 * request that left before it froze reaches CloudBase, as it would on SCF.
 */
export class CloudbaseDispatcher {
  private readonly handlers = new Map<string, ApiHandler>();
  private readonly hooks: ApiHook[] = [];
  private readonly perInvocation = new Map<string, ApiCounters & { functionName: string }>();
  readonly totals: ApiCounters = zero();

  handle(action: string, handler: ApiHandler): this {
    this.handlers.set(action, handler);
    return this;
  }

  use(hook: ApiHook): this {
    this.hooks.push(hook);
    return this;
  }

  /** The counts of one invocation (the most recent few thousand are kept). */
  countersFor(invocationId: string): (ApiCounters & { functionName: string }) | undefined {
    return this.perInvocation.get(invocationId);
  }

  async dispatch(call: ApiCall): Promise<ApiAnswer> {
    const handler = this.handlers.get(call.action);
    if (!handler) return tcbError('INVALID_PARAM', `unsupported action ${call.action}`);
    this.count(call);
    const chain = this.hooks.reduceRight<() => Promise<ApiAnswer>>((next, hook) => () => hook(call, next), () => handler(call));
    return chain();
  }

  private count(call: ApiCall): void {
    let counters = this.perInvocation.get(call.invocation.id);
    if (!counters) {
      counters = { ...zero(), functionName: call.invocation.functionName };
      this.perInvocation.set(call.invocation.id, counters);
      if (this.perInvocation.size > KEPT_INVOCATIONS) this.perInvocation.delete(this.perInvocation.keys().next().value as string);
    }
    const key: keyof ApiCounters | null = READS.has(call.action)
      ? 'dbReads'
      : WRITES.has(call.action)
        ? 'dbWrites'
        : call.action === 'functions.invokeFunction'
          ? 'functionCalls'
          : call.action === 'wx.openApi'
            ? 'openapiCalls'
            : call.action === 'wx.wxPayApi'
              ? 'payCalls'
              : null;
    if (!key) return;
    counters[key] += 1;
    this.totals[key] += 1;
  }
}
