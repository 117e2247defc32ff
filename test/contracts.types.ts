/**
 * The mini program keeps its own copies of the client contract (miniprogram/services/types.ts):
 * its bundle may hold no server code. These assertions make `npm run typecheck` fail the moment a
 * copy and core's original differ; test/contracts.test.ts shows that they do fail on a drift.
 * `Equal` is exact: a field that is optional on one side only, or a wider union, is a difference.
 */
import type { SupportSettings as CoreSupport } from '../core/config/support';
import type { ClientConversation as CoreConversation, ClientConversationSummary as CoreConversationSummary } from '../core/conversations/conversation';
import type { ErrorCode as CoreErrorCode } from '../core/errors';
import type { ReportReason as CoreReportReason } from '../core/reports/report';
import type { ClientOrder as CoreClientOrder } from '../core/orders/order';
import type { OrderStatus as CoreOrderStatus } from '../core/orders/states';
import type { ClientPayment as CoreClientPayment, RequestPaymentParams as CoreRequestPaymentParams, VirtualPaymentParams as CoreVirtualPaymentParams } from '../core/payments/provider';
import type * as Client from '../miniprogram/services/types';

export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when `A` and `B` are the same type. */
export function assertSameType<A, B>(..._proof: Equal<A, B> extends true ? [] : [`types differ`]): void {}

assertSameType<Client.ClientOrder, CoreClientOrder>();
assertSameType<Client.OrderStatus, CoreOrderStatus>();
assertSameType<Client.RequestPaymentParams, CoreRequestPaymentParams>();
assertSameType<Client.VirtualPaymentParams, CoreVirtualPaymentParams>();
assertSameType<Client.ClientPayment, CoreClientPayment>();
// The client adds one code of its own: a call that never reached a function.
assertSameType<Exclude<Client.ErrorCode, 'NETWORK'>, CoreErrorCode>();
assertSameType<Client.CreateOrderResult['order'], CoreClientOrder>();
assertSameType<NonNullable<Client.CreateOrderResult['payment']>, CoreClientPayment>();
assertSameType<Client.Conversation, CoreConversation>();
assertSameType<Client.ConversationSummary, CoreConversationSummary>();
assertSameType<Client.ReportReason, CoreReportReason>();
assertSameType<Client.SupportInfo, CoreSupport>();
