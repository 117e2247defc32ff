import type { AppContext } from '../context';
import { AppError } from '../errors';
import { log } from '../log';
import { complianceOpenApi } from '../platform/openapi';
import { checkWhole, stopReason, textCheck, verdictFacts } from './contentSecurity';

/**
 * Checks a prompt before any order exists (docs/COMPLIANCE.md): a refused prompt answers
 * CONTENT_REJECTED and a check that cannot be made answers CONTENT_CHECK_UNAVAILABLE (fail
 * closed); either way nothing is stored and nothing is charged. A `review` verdict lets the prompt
 * through unless CONTENT_REVIEW_BLOCKS=both: the answer is checked on its own before it is shown.
 */
export async function guardPrompt(ctx: AppContext, caller: { openid: string; userHash: string }, prompt: string): Promise<void> {
  const settings = ctx.env.contentSecurity;
  if (!settings.enabled) return;
  const verdict = await checkWhole(textCheck(complianceOpenApi(ctx.cloud), caller.openid, settings), prompt);
  const stop = stopReason(verdict, 'prompt', settings.reviewBlocks);
  if (stop === 'refused') {
    log('warn', 'prompt_rejected', { userHash: caller.userHash, ...verdictFacts(verdict) });
    throw new AppError('CONTENT_REJECTED', 'this question cannot be answered: it did not pass the content check. Nothing was charged.');
  }
  if (stop === 'unchecked') {
    log('warn', 'prompt_check_unavailable', { userHash: caller.userHash, ...verdictFacts(verdict) });
    throw new AppError('CONTENT_CHECK_UNAVAILABLE', 'the question could not be checked just now; nothing was charged, please try again in a moment');
  }
  if (verdict.outcome === 'review') log('info', 'prompt_review_let_through', { userHash: caller.userHash, ...verdictFacts(verdict) });
}
