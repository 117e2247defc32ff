import { isFunctionName } from '../../core/functions/catalog';
import { rate, range } from '../faultValues';
import { defaultXpayFaults, mergeXpayFaults, type XpayFaults } from '../wechat/faults';

/** Faults the local runtime can inject (`/api/faults`). Rates are probabilities from 0 to 1. */
export interface PayFaults {
  /** A notification (payment or refund) is sent 2–5 times, some at once, some late. */
  duplicate: number;
  /** No notification at all, payment or refund (reconcile must find it). */
  drop: number;
  /** A copy with a wrong amount (cloud pay) or a bad signature (API v3). */
  tamper: number;
  delayMs: [number, number];
  /** The provider rejects refund requests. */
  refundReject: number;
  /** The provider refuses to close an unpaid order (as cloud pay does in an order's first 5 minutes). */
  closeRefused: number;
  /** A cloud-pay refund request is lost on its way: the call fails and WeChat Pay never sees it. */
  refundLost: number;
  /** Cloud pay's queryRefund answers with every refund list empty, as the developer community reports it (local/pay/simulator.ts). */
  refundQueryEmpty: number;
  /**
   * How long an accepted refund stays PROCESSING before it is paid out (a setting, not a rate;
   * default 50 ms). WeChat Pay's own refunds take from seconds to days; a longer value lets a test
   * see the refund still in progress after the request's own follow-up query.
   */
  refundSettleMs: number;
}

export interface ModelFaults {
  /** An HTTP error before any token; `errorStatus` decides which (500, 429, 400…). */
  error: number;
  errorStatus: number;
  /** Headers, then nothing: the client's deadline must fire. */
  timeout: number;
  /** Some tokens, then an error event inside the stream. */
  midStreamError: number;
  /** Some tokens, then the stream ends without finish_reason or [DONE]. */
  truncate: number;
  /** No usage chunk at the end, even when asked for. */
  noUsage: boolean;
  firstTokenMs: number;
  tokensPerSecond: number;
  /** How many tokens an answer has. */
  answerTokens: number;
}

/** Faults of the function host itself (chaos runs). */
export interface WorkerFaults {
  /** A `generate` invocation is killed (its instance goes away with it) this often… */
  killGenerate: number;
  /**
   * …and, per function name, the share of its invocations that end as at their time limit: the
   * caller gets the platform's timeout error and the instance is frozen where it stands, to resume
   * during its next invocation…
   */
  timeouts: Record<string, number>;
  /** …after a delay drawn from this range, so that most land mid-stream ([0, 0]: as soon as it starts). */
  killAfterMs: [number, number];
  /** At most this many kills and timeouts per order (0: no limit), to keep a test's recovery time bounded. */
  maxKillsPerOrder: number;
}

/** Cloud calls (`cloud.openapi.*`) answered by the CloudBase emulation. */
export interface OpenApiFaults {
  /** `security.msgSecCheck` answers a WeChat system error (errcode -1) this often. */
  msgSecCheckError: number;
  /** Words that make `security.msgSecCheck` answer `risky` (label 20001). */
  riskyWords: string[];
  /** Words that make `security.msgSecCheck` answer `review` (label 21000), unless a risky word is there too. */
  reviewWords: string[];
  /** `security.msgSecCheck` answers 61010 (the user has not opened the mini program in the last two hours) this often. */
  userAccessExpired: number;
  /** `subscribeMessage.send` answers 43101 (the user refused, or the one-time grant was used) this often. */
  subscribeRefused: number;
  /** `wxa.sec.order.uploadShippingInfo` answers a WeChat system error (errcode -1) this often. */
  shippingUploadError: number;
}

/** The database operations a fault can be aimed at, as the SDK's requests name them (local/cloudbase/dbFaults.ts). */
export const DB_OPS = ['get', 'count', 'insert', 'update', 'remove'] as const;
export type DbOp = (typeof DB_OPS)[number];

/**
 * Faults of CloudBase's database, for the requests of one collection and operation (either may be
 * left out: every collection, every operation). Rates are per request; at most one fault happens.
 */
export interface DbFaultRule {
  collection: string | null;
  op: DbOp | null;
  /** A transient database error answers at once; nothing is done. */
  error: number;
  /** The platform's rate limit answers at once (too many concurrent requests); nothing is done. */
  throttle: number;
  /** No answer ever comes (the SDK's own request timeout fires); nothing is done. */
  timeout: number;
  /** The operation is done, then its answer is lost: the caller sees a timeout although it happened. */
  lostAnswer: number;
}

export interface Faults {
  pay: PayFaults;
  openapi: OpenApiFaults;
  llm: ModelFaults & { byModel: Record<string, Partial<ModelFaults>> };
  worker: WorkerFaults;
  /** WeChat virtual payment (local/wechat/faults.ts). */
  xpay: XpayFaults;
  /** One rule per (collection, op) scope; the most specific rule that matches a request applies. */
  db: DbFaultRule[];
}

export function defaultFaults(): Faults {
  return {
    pay: { duplicate: 0, drop: 0, tamper: 0, delayMs: [0, 0], refundReject: 0, closeRefused: 0, refundLost: 0, refundQueryEmpty: 0, refundSettleMs: 50 },
    llm: {
      error: 0,
      errorStatus: 500,
      timeout: 0,
      midStreamError: 0,
      truncate: 0,
      noUsage: false,
      firstTokenMs: 300,
      tokensPerSecond: 40,
      answerTokens: 60,
      byModel: {},
    },
    worker: { killGenerate: 0, timeouts: {}, killAfterMs: [0, 0], maxKillsPerOrder: 0 },
    openapi: { msgSecCheckError: 0, riskyWords: ['local-risky-word', '违规示例词'], reviewWords: [], userAccessExpired: 0, subscribeRefused: 0, shippingUploadError: 0 },
    xpay: defaultXpayFaults(),
    db: [],
  };
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return value;
}

function modelFaults(input: Record<string, unknown>, into: Partial<ModelFaults>, at: string): void {
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'error':
      case 'timeout':
      case 'midStreamError':
      case 'truncate':
        into[key] = rate(value, `${at}.${key}`);
        break;
      case 'errorStatus':
        if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) throw new Error(`${at}.errorStatus must be an HTTP status from 400 to 599`);
        into.errorStatus = value as number;
        break;
      case 'noUsage':
        if (typeof value !== 'boolean') throw new Error(`${at}.noUsage must be true or false`);
        into.noUsage = value;
        break;
      case 'firstTokenMs':
      case 'tokensPerSecond':
      case 'answerTokens':
        into[key] = nonNegative(value, `${at}.${key}`);
        break;
      case 'byModel':
        break;
      default:
        throw new Error(`${at}.${key} is not a fault`);
    }
  }
}

/** Applies a partial update to the faults; throws with a clear message on anything unknown. */
export function mergeFaults(current: Faults, patch: unknown): Faults {
  if (patch === null || typeof patch !== 'object') throw new Error('faults must be an object');
  const next: Faults = JSON.parse(JSON.stringify(current)) as Faults;
  const input = patch as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!FAULT_GROUPS.includes(key)) throw new Error(`${key} is not a fault group (pay, llm, worker, openapi, xpay, db)`);
  const base = input.reset === true ? defaultFaults() : next;
  if (input.pay !== undefined) {
    const pay = input.pay as Record<string, unknown>;
    for (const [key, value] of Object.entries(pay)) {
      if (key === 'duplicate' || key === 'drop' || key === 'tamper' || key === 'refundReject' || key === 'closeRefused' || key === 'refundLost' || key === 'refundQueryEmpty') base.pay[key] = rate(value, `pay.${key}`);
      else if (key === 'delayMs') base.pay.delayMs = range(value, 'pay.delayMs');
      else if (key === 'refundSettleMs') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 600_000) throw new Error('pay.refundSettleMs must be a whole number of ms from 0 to 600000');
        base.pay.refundSettleMs = value;
      } else throw new Error(`pay.${key} is not a fault`);
    }
  }
  if (input.llm !== undefined) {
    const llm = input.llm as Record<string, unknown>;
    modelFaults(llm, base.llm, 'llm');
    if (llm.byModel !== undefined) {
      const byModel = llm.byModel as Record<string, unknown>;
      for (const [model, faults] of Object.entries(byModel)) {
        if (faults === null) {
          delete base.llm.byModel[model];
          continue;
        }
        const into: Partial<ModelFaults> = { ...(base.llm.byModel[model] ?? {}) };
        modelFaults(faults as Record<string, unknown>, into, `llm.byModel.${model}`);
        base.llm.byModel[model] = into;
      }
    }
  }
  if (input.worker !== undefined) {
    if (input.worker === null || typeof input.worker !== 'object') throw new Error('worker must be an object');
    for (const [key, value] of Object.entries(input.worker as Record<string, unknown>)) {
      if (key === 'killGenerate') base.worker.killGenerate = rate(value, 'worker.killGenerate');
      else if (key === 'timeouts') {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('worker.timeouts must be { <function name>: rate }');
        const timeouts: Record<string, number> = {};
        for (const [name, share] of Object.entries(value as Record<string, unknown>)) {
          if (!isFunctionName(name)) throw new Error(`worker.timeouts.${name}: there is no function ${name}`);
          timeouts[name] = rate(share, `worker.timeouts.${name}`);
        }
        base.worker.timeouts = timeouts;
      }
      else if (key === 'killAfterMs') base.worker.killAfterMs = range(value, 'worker.killAfterMs');
      else if (key === 'maxKillsPerOrder') {
        if (!Number.isInteger(value) || (value as number) < 0) throw new Error('worker.maxKillsPerOrder must be a whole number ≥ 0');
        base.worker.maxKillsPerOrder = value as number;
      }
      else throw new Error(`worker.${key} is not a fault`);
    }
  }
  if (input.openapi !== undefined) {
    if (input.openapi === null || typeof input.openapi !== 'object') throw new Error('openapi must be an object');
    for (const [key, value] of Object.entries(input.openapi as Record<string, unknown>)) {
      if (key === 'msgSecCheckError' || key === 'shippingUploadError' || key === 'userAccessExpired' || key === 'subscribeRefused') base.openapi[key] = rate(value, `openapi.${key}`);
      else if (key === 'riskyWords' || key === 'reviewWords') base.openapi[key] = words(value, `openapi.${key}`);
      else throw new Error(`openapi.${key} is not a fault`);
    }
  }
  if (input.xpay !== undefined) base.xpay = mergeXpayFaults(base.xpay, input.xpay);
  if (input.db !== undefined) {
    for (const rule of Array.isArray(input.db) ? input.db : [input.db]) base.db = withDbRule(base.db, dbRule(rule));
  }
  return base;
}

const FAULT_GROUPS = ['pay', 'llm', 'worker', 'openapi', 'xpay', 'db', 'reset'];

function words(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((w) => typeof w !== 'string' || w.length === 0 || w.length > 50) || value.length > 200) {
    throw new Error(`${name} must be a list of up to 200 words (1–50 characters)`);
  }
  return [...(value as string[])];
}

const DB_RATES = ['error', 'throttle', 'timeout', 'lostAnswer'] as const;

/** One `db` rule as posted: `{ error?, throttle?, timeout?, lostAnswer?, collection?, op? }`; a rate left out is 0. */
function dbRule(input: unknown): DbFaultRule {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('db must be an object (or a list of them)');
  const rule: DbFaultRule = { collection: null, op: null, error: 0, throttle: 0, timeout: 0, lostAnswer: 0 };
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if ((DB_RATES as readonly string[]).includes(key)) rule[key as (typeof DB_RATES)[number]] = rate(value, `db.${key}`);
    else if (key === 'collection') {
      if (typeof value !== 'string' || !/^[a-z_]{1,40}$/.test(value)) throw new Error('db.collection must be a collection name');
      rule.collection = value;
    } else if (key === 'op') {
      if (!(DB_OPS as readonly unknown[]).includes(value)) throw new Error(`db.op must be one of ${DB_OPS.join(', ')}`);
      rule.op = value as DbOp;
    } else throw new Error(`db.${key} is not a fault`);
  }
  if (DB_RATES.reduce((sum, key) => sum + rule[key], 0) > 1) throw new Error('db rates add up to more than 1');
  return rule;
}

/** The rules with `rule` in place of the one with its scope; a rule whose rates are all 0 just removes it. */
function withDbRule(rules: DbFaultRule[], rule: DbFaultRule): DbFaultRule[] {
  const others = rules.filter((r) => r.collection !== rule.collection || r.op !== rule.op);
  return DB_RATES.some((key) => rule[key] > 0) ? [...others, rule] : others;
}
