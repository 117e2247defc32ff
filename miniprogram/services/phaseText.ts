/**
 * The words for an order's shown stage (services/orderFollower.ts, orderPhase), shared by the
 * order page's headline and a conversation turn's status.
 */
import { format, type Messages } from './i18n';
import type { OrderPhase } from './orderFollower';
import { returnedHeadline } from './paid';
import type { Turn } from './types';

/** How long the answer has been written, counted from the payment (or the order, paid with tokens at once). */
export function writingSeconds(order: Turn | null): number {
  const since = order?.paidAt ?? order?.createdAt;
  return since === undefined ? 0 : Math.max(0, Math.floor((Date.now() - since) / 1000));
}

export function phaseText(phase: OrderPhase, order: Turn | null, t: Messages): string {
  switch (phase) {
    case 'awaiting_payment':
      return t.waitingPayment;
    case 'confirming':
      return t.confirmingPayment;
    case 'writing':
      return format(t.writing, { seconds: writingSeconds(order) });
    case 'completed':
      return t.completed;
    case 'refunding':
    case 'refunded':
      return order ? returnedHeadline(order, t) : t.refunding;
    case 'closed':
      return t.closed;
  }
}

/** Why an answer was withheld and its payment returned, when content security withheld it; '' otherwise. */
export function withheldReason(order: Turn | null, t: Messages): string {
  const code = order?.error?.code;
  if (code === 'CONTENT_REFUSED') return t.contentRefused;
  if (code === 'CONTENT_UNCHECKED') return t.contentUnchecked;
  return '';
}
