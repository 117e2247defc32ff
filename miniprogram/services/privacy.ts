/**
 * WeChat's privacy authorization (WeChat docs: 小程序隐私协议开发指南, framework/user-privacy/PrivacyAuthorize):
 * before a protected API runs for a user who has not agreed to the mini program's 用户隐私保护指引,
 * the base library calls the `wx.onNeedPrivacyAuthorization` listener with a `resolve` function and
 * holds the API pending. The app shows its own consent sheet (components/privacy-sheet); agreeing
 * goes through `<button open-type="agreePrivacyAuthorization">` and then
 * `resolve({ buttonId, event: 'agree' })`; refusing is `resolve({ event: 'disagree' })`, and the
 * API then fails with `<api>:fail privacy permission is not authorized`.
 * (WeChat docs: API > 开放接口 > 隐私信息授权 > wx.onNeedPrivacyAuthorization)
 *
 * Of the APIs this app calls, `wx.setClipboardData` (the "copy answer" button) is protected (the
 * guide's 剪切板 / Clipboard item); `wx.requestPayment` and `wx.requestSubscribeMessage` have their
 * own WeChat dialogs and are not on the privacy list.
 */

export type PrivacyDecision = { event: 'agree'; buttonId: string } | { event: 'disagree' } | { event: 'exposureAuthorization' };
type Resolve = (decision: PrivacyDecision) => void;

/** What a consent sheet does when WeChat asks for consent. */
export interface ConsentSheet {
  open(referrer: string): void;
}

let listening = false;
let pending: Resolve | null = null;
let pendingReferrer = '';
const sheets: ConsentSheet[] = [];

/** The error text a refused protected API fails with. */
export const NOT_AUTHORIZED = 'privacy permission is not authorized';

/** Registers the app's one listener (from app.ts, and again harmlessly from a sheet). */
export function listenForPrivacyRequests(): void {
  if (listening || typeof wx === 'undefined' || typeof wx.onNeedPrivacyAuthorization !== 'function') return;
  listening = true;
  // miniprogram-api-typings types the listener as `(res) => void`; the documented listener is
  // `(resolve, eventInfo: { referrer })` (the wx.onNeedPrivacyAuthorization page named above).
  const onNeed = wx.onNeedPrivacyAuthorization.bind(wx) as unknown as (listener: (resolve: Resolve, info?: { referrer?: string }) => void) => void;
  onNeed((resolve, info) => {
    // A newer request supersedes one still open (its API fails; the newer one is shown).
    if (pending) pending({ event: 'disagree' });
    pending = resolve;
    pendingReferrer = info?.referrer ?? '';
    const sheet = sheets[sheets.length - 1];
    if (sheet) {
      sheet.open(pendingReferrer);
      pending({ event: 'exposureAuthorization' });
    } else {
      // No page can show the sheet: refuse rather than leave the API pending for ever.
      decide({ event: 'disagree' });
    }
  });
}

/** A sheet on the page now on screen takes the requests (the last one shown wins). */
export function attachSheet(sheet: ConsentSheet): void {
  detachSheet(sheet);
  sheets.push(sheet);
  listenForPrivacyRequests();
}

export function detachSheet(sheet: ConsentSheet): void {
  const at = sheets.indexOf(sheet);
  if (at >= 0) sheets.splice(at, 1);
}

/** The user's answer, passed on to the API that waits for it. */
export function decide(decision: { event: 'agree'; buttonId: string } | { event: 'disagree' }): void {
  const resolve = pending;
  pending = null;
  pendingReferrer = '';
  resolve?.(decision);
}

/** True when a wx call failed because the user refused the privacy guide. */
export function refusedPrivacy(error: unknown): boolean {
  const errMsg = error && typeof error === 'object' ? (error as { errMsg?: unknown }).errMsg : undefined;
  return typeof errMsg === 'string' && errMsg.includes(NOT_AUTHORIZED);
}
