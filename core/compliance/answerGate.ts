import type { AppContext } from '../context';
import type { OrderDocument } from '../orders/order';
import { complianceOpenApi } from '../platform/openapi';
import { unsealOpenid } from '../security/identity';
import { stopReason, textCheck, type TextCheck } from './contentSecurity';
import { CheckedGate, openGate, type AnswerGate } from './outputGate';

/**
 * The gate an order's streaming answer passes before the page sees it (./outputGate.ts). The
 * checks are made on the payer's behalf with the openid sealed at createOrder; an order without
 * one cannot be checked, and so (fail closed) its answer is withheld.
 */
export function answerGate(ctx: AppContext, order: OrderDocument, show: (text: string) => void): AnswerGate {
  const settings = ctx.env.contentSecurity;
  if (!settings.enabled) return openGate(show);
  const sealed = order.payerOpenidSealed ?? order.subscription?.openidSealed;
  let check: TextCheck;
  try {
    if (!sealed) throw new Error('no sealed openid');
    check = textCheck(complianceOpenApi(ctx.cloud), unsealOpenid(sealed, ctx.env.openidSealKey), settings);
  } catch {
    check = async () => ({ outcome: 'unavailable', reason: 'the payer openid is not kept for this order' });
  }
  return new CheckedGate(check, show, settings, (verdict) => stopReason(verdict, 'output', settings.reviewBlocks));
}
