/** Error codes the client-callable functions answer with; the mini program mirrors them in miniprogram/services/types.ts. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'PROMPT_TOO_LONG'
  | 'UNKNOWN_TIER'
  | 'ACTIVE_PAYMENT_EXISTS'
  | 'RATE_LIMITED'
  | 'PAYMENT_UNAVAILABLE'
  /** The prompt did not pass the platform's content check (docs/COMPLIANCE.md); no order was made. */
  | 'CONTENT_REJECTED'
  /** The content check could not be made; no order was made, try again later. */
  | 'CONTENT_CHECK_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INVALID_STATE'
  | 'UNAUTHENTICATED'
  /** Virtual payment: the user has fewer tokens than the answer costs; nothing was spent or stored. */
  | 'INSUFFICIENT_BALANCE'
  /** Virtual payment: the user's WeChat login (session_key) is missing or expired; call wx.login and retry with its code. */
  | 'SESSION_EXPIRED'
  /** Virtual payment on iOS: a payment must be at least ¥1. */
  | 'BELOW_PLATFORM_MINIMUM'
  | 'INTERNAL';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Extra, code-specific facts, e.g. the pending order for ACTIVE_PAYMENT_EXISTS. */
  [detail: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { ...this.details, code: this.code, message: this.message };
  }
}

export type Failure = { ok: false; error: ErrorBody };

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
