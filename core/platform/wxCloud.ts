/**
 * The part of `wx-server-sdk` the functions use, typed. It is the real SDK everywhere: in the
 * cloud, and in the local runtime (whose CloudBase emulation answers the SDK's requests).
 * `wx-server-sdk` types `cloudPay` and `openapi` as `any`, so this file is the typed boundary for them.
 */

export type Document = Record<string, unknown> & { _id?: string };

export interface QueryCommand {
  readonly __command: unknown;
}

export interface DbCommand {
  eq(value: unknown): QueryCommand;
  neq(value: unknown): QueryCommand;
  lt(value: unknown): QueryCommand;
  lte(value: unknown): QueryCommand;
  gt(value: unknown): QueryCommand;
  gte(value: unknown): QueryCommand;
  in(values: unknown[]): QueryCommand;
  nin(values: unknown[]): QueryCommand;
  exists(present: boolean): QueryCommand;
  inc(by: number): QueryCommand;
  remove(): QueryCommand;
  push(value: unknown): QueryCommand;
}

export interface UpdateResult {
  stats: { updated: number };
}
export interface RemoveResult {
  stats: { removed: number };
}

export interface Query {
  where(condition: Record<string, unknown>): Query;
  orderBy(field: string, direction: 'asc' | 'desc'): Query;
  skip(count: number): Query;
  limit(count: number): Query;
  get(): Promise<{ data: Document[] }>;
  count(): Promise<{ total: number }>;
  update(options: { data: Record<string, unknown> }): Promise<UpdateResult>;
  remove(): Promise<RemoveResult>;
}

export interface Collection extends Query {
  add(options: { data: Record<string, unknown> }): Promise<{ _id: string }>;
}

export interface Database {
  collection(name: string): Collection;
  readonly command: DbCommand;
}

/**
 * What `getWXContext()` returns. The SDK reads each value from the environment and turns an
 * all-digit one into a number (`isNumber` → `parseInt` in wx-server-sdk's
 * src/api/utils/api/getWXContext.ts), so a value may arrive as a number.
 */
export interface WXContext {
  OPENID?: string | number;
  APPID?: string | number;
  UNIONID?: string | number;
  CLIENTIP?: string | number;
  ENV?: string;
  /** Who started this run, as a comma-separated call chain (`wx_client`, `wx_trigger`, `wx_client,scf`, …). */
  SOURCE?: string;
}

/** Cloud pay, as `wx-server-sdk` exposes it (camelCase for unifiedOrder, snake_case elsewhere). */
export interface CloudPayApi {
  unifiedOrder(params: Record<string, unknown>): Promise<Record<string, unknown>>;
  queryOrder(params: Record<string, unknown>): Promise<Record<string, unknown>>;
  closeOrder(params: Record<string, unknown>): Promise<Record<string, unknown>>;
  refund(params: Record<string, unknown>): Promise<Record<string, unknown>>;
  queryRefund(params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface SubscribeMessageApi {
  send(params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface WxCloud {
  init(options?: Record<string, unknown>): void;
  DYNAMIC_CURRENT_ENV: symbol | string;
  getWXContext(): WXContext;
  database(): Database;
  callFunction(params: { name: string; data?: Record<string, unknown> }): Promise<{ result?: unknown }>;
  cloudPay: CloudPayApi;
  openapi: { subscribeMessage: SubscribeMessageApi };
}

/** The `wx-server-sdk` module, seen through the typed surface above. */
export function asWxCloud(sdk: unknown): WxCloud {
  return sdk as WxCloud;
}
