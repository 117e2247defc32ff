import type { AppContext } from '../context';
import { AppError } from '../errors';
import { log } from '../log';
import { complianceOpenApi } from '../platform/openapi';
import { checkSkeleton } from '../privacy/normalize';
import { checkWhole, stopReason, textCheck, verdictFacts } from './contentSecurity';

/** Every prompt check a user causes, kept a while: the per-user limit counts them (the check's quota is the whole mini program's). */
export const PROMPT_CHECKS = 'prompt_checks';

/** How many content checks of prompts this user caused since then. */
export async function promptChecksSince(ctx: AppContext, userHash: string, since: number): Promise<number> {
  const { total } = await ctx.db.collection(PROMPT_CHECKS).where({ userHash, at: ctx.db.command.gte(since) }).count();
  return total;
}

/**
 * What the check sees: the text as stored and sent to the model (canonical, redacted), and, when it
 * differs, its skeleton (combining marks dropped, look-alike letters as ASCII:
 * core/privacy/normalize.ts), so that a risky word written with a Cyrillic look-alike or combining
 * marks is seen as the word it shows. One call checks both.
 */
export function checkedText(prompt: string): string {
  const skeleton = checkSkeleton(prompt);
  return skeleton === prompt ? prompt : `${prompt}\n${skeleton}`;
}

/**
 * Checks a prompt before any order exists (docs/COMPLIANCE.md): a refused prompt answers
 * CONTENT_REJECTED and a check that cannot be made answers CONTENT_CHECK_UNAVAILABLE (fail
 * closed); either way nothing is stored and nothing is charged. A `review` verdict lets the prompt
 * through unless CONTENT_REVIEW_BLOCKS=both: the answer is checked on its own before it is shown.
 * Every check is recorded for the user's rate limit before it is made.
 */
export async function guardPrompt(ctx: AppContext, caller: { openid: string; userHash: string }, prompt: string): Promise<void> {
  const settings = ctx.env.contentSecurity;
  if (!settings.enabled) return;
  await ctx.db.collection(PROMPT_CHECKS).add({ data: { userHash: caller.userHash, at: ctx.now() } });
  const verdict = await checkWhole(textCheck(complianceOpenApi(ctx.cloud), caller.openid, settings), checkedText(prompt));
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
