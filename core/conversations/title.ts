/** How many characters (code points) of the first question a conversation's title keeps. */
export const TITLE_CHARS = 30;

/**
 * A conversation's title: the first question as it was stored (already redacted, so no personal
 * value reaches history), on one line and short.
 */
export function titleFrom(redactedPrompt: string): string {
  const line = redactedPrompt.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= TITLE_CHARS ? line : `${chars.slice(0, TITLE_CHARS - 1).join('')}…`;
}
