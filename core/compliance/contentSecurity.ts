import type { ContentSecuritySettings, ReviewBlocks } from '../config/env';
import { openApiFailure, type ComplianceOpenApi } from '../platform/openapi';
import { isHighSurrogate } from '../unicode';

/**
 * Content security through `security.msgSecCheck` version 2
 * (https://developers.weixin.qq.com/miniprogram/dev/server/API/sec-center/sec-check/api_msgseccheck.html).
 * The platform answers `{ errcode, errmsg, result: { suggest: 'pass' | 'review' | 'risky', label },
 * detail: [...], trace_id }`; through `wx-server-sdk` that arrives as `{ result, detail, traceId,
 * errCode: 0, errMsg }`, and an answer with a non-zero errcode is thrown instead (see
 * core/platform/openapi.ts). The policy (what stops text, what happens when the check itself fails)
 * is in docs/COMPLIANCE.md.
 */

/**
 * The platform checks at most 2500 characters (字) of content per call, counted here in UTF-16 code
 * units (an emoji counts 2): the documentation does not say which unit, and a piece within the
 * limit counted this way is within it whichever WeChat counts (docs/LOCAL-RUNTIME.md).
 */
export const MSG_SEC_CHECK_MAX_CHARS = 2500;

/**
 * 61010, "用户访问记录超时": the openid's user has not opened the mini program in the last two
 * hours, which the check requires (https://developers.weixin.qq.com/miniprogram/dev/server/API/sec-center/sec-check/api_msgseccheck.html;
 * WeChat's community answer: "返回61010错误码代表的是用户访问记录超时").
 */
export const USER_ACCESS_EXPIRED = 61010;

export type Verdict =
  | { outcome: 'pass' | 'review' | 'risky'; label?: number; traceId?: string }
  /** No verdict: the call failed, timed out, ran out of quota, or answered in an unknown shape. */
  | { outcome: 'unavailable'; reason: string; errCode?: number };

/** Reads an answer of `cloud.openapi.security.msgSecCheck` as the SDK resolves it. */
export function readVerdict(answer: unknown): Verdict {
  const body = (answer ?? {}) as { result?: { suggest?: unknown; label?: unknown }; traceId?: unknown; errCode?: unknown };
  if (body.errCode !== undefined && body.errCode !== 0) {
    return { outcome: 'unavailable', reason: 'the check answered with an error', ...(typeof body.errCode === 'number' ? { errCode: body.errCode } : {}) };
  }
  const suggest = body.result?.suggest;
  if (suggest !== 'pass' && suggest !== 'review' && suggest !== 'risky') {
    return { outcome: 'unavailable', reason: 'the check answered without a known result.suggest' };
  }
  const label = Number(body.result?.label);
  return {
    outcome: suggest,
    ...(Number.isFinite(label) ? { label } : {}),
    ...(typeof body.traceId === 'string' ? { traceId: body.traceId } : {}),
  };
}

export type Direction = 'prompt' | 'output';

/**
 * What a verdict means for a piece of text: shown/accepted (null), `refused` (risky, or `review`
 * where the settings say review blocks it) or `unchecked` (no verdict could be had).
 */
export function stopReason(verdict: Verdict, direction: Direction, reviewBlocks: ReviewBlocks): 'refused' | 'unchecked' | null {
  switch (verdict.outcome) {
    case 'pass':
      return null;
    case 'risky':
      return 'refused';
    case 'review':
      return reviewBlocks === 'both' || (reviewBlocks === 'output' && direction === 'output') ? 'refused' : null;
    case 'unavailable':
      return 'unchecked';
  }
}

/** Checks one piece of text (at most MSG_SEC_CHECK_MAX_CHARS characters). Never throws. */
export type TextCheck = (content: string) => Promise<Verdict>;

/** A check on behalf of one user (the platform needs the openid of a user who opened the mini program lately). */
export function textCheck(api: ComplianceOpenApi, openid: string, settings: Pick<ContentSecuritySettings, 'scene' | 'timeoutMs'>): TextCheck {
  return async (content) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
      });
      const answer = await Promise.race([api.security.msgSecCheck({ content, version: 2, scene: settings.scene, openid }), timeout]);
      return readVerdict(answer);
    } catch (error) {
      const failure = openApiFailure(error);
      return { outcome: 'unavailable', reason: failure.message, ...(failure.errCode !== undefined ? { errCode: failure.errCode } : {}) };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Whether asking again at once may give a verdict: a passing failure (a busy platform, a lost
 * answer) may; 61010 will not, for hours (the user is not coming back within a retry).
 */
export function worthAskingAgain(verdict: Verdict): boolean {
  return verdict.outcome === 'unavailable' && verdict.errCode !== USER_ACCESS_EXPIRED;
}

/** Cuts text into pieces of at most `max` UTF-16 units, never between the two halves of a surrogate pair. */
export function piecesOf(text: string, max: number = MSG_SEC_CHECK_MAX_CHARS): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + max);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && isHighSurrogate(code) && end - 1 > at) end -= 1;
    pieces.push(text.slice(at, end));
    at = end;
  }
  return pieces;
}

const SEVERITY: Record<Verdict['outcome'], number> = { pass: 0, review: 1, unavailable: 2, risky: 3 };

/** The verdict that matters most: risky over unavailable over review over pass. */
export function worst(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((acc, v) => (SEVERITY[v.outcome] > SEVERITY[acc.outcome] ? v : acc), { outcome: 'pass' });
}

/** Checks a text of any length, piece by piece (stopping at the first risky piece). */
export async function checkWhole(check: TextCheck, text: string): Promise<Verdict> {
  const verdicts: Verdict[] = [];
  for (const piece of piecesOf(text)) {
    const verdict = await check(piece);
    verdicts.push(verdict);
    if (verdict.outcome === 'risky') break;
  }
  return worst(verdicts);
}

/** What an audit event or a log line may carry about a verdict: never the text. */
export function verdictFacts(verdict: Verdict): Record<string, unknown> {
  return verdict.outcome === 'unavailable'
    ? { outcome: verdict.outcome, reason: verdict.reason, ...(verdict.errCode !== undefined ? { errCode: verdict.errCode } : {}) }
    : { outcome: verdict.outcome, ...(verdict.label !== undefined ? { label: verdict.label } : {}), ...(verdict.traceId ? { traceId: verdict.traceId } : {}) };
}
