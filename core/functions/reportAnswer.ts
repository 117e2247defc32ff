import { AppError } from '../errors';
import { log } from '../log';
import { findOwnOrder } from '../orders/ownership';
import { redact } from '../privacy/redact';
import { MAX_NOTE_CHARS, REPORT_REASONS, ReportRepository, reportIdFor, type ReportReason } from '../reports/report';
import { optionalString, requiredString } from './input';
import type { ClientHandler } from './serve';

/** Reports one user may make (or renew) in an hour: enough for honest use, not a way to flood the operator. */
export const REPORTS_PER_HOUR = 10;

function reasonOf(value: unknown): ReportReason {
  if (typeof value === 'string' && (REPORT_REASONS as readonly string[]).includes(value)) return value as ReportReason;
  throw new AppError('INVALID_INPUT', `reason must be one of ${REPORT_REASONS.join(', ')}`);
}

/**
 * 举报/反馈 on an answer: `reportAnswer({ orderId, reason, note? })` → `{ reportId }`. Recorded in
 * `reports` for the operator, with an error-level log line (`answer_reported`) so that it is seen;
 * the log carries ids and the reason, never the note. Another user's order is NOT_FOUND.
 */
export const reportAnswer: ClientHandler = async (ctx, input, caller) => {
  const orderId = requiredString(input, 'orderId', 64);
  const reason = reasonOf(input.reason);
  const rawNote = optionalString(input, 'note', MAX_NOTE_CHARS * 2) ?? '';
  if ([...rawNote].length > MAX_NOTE_CHARS) throw new AppError('INVALID_INPUT', `note must be at most ${MAX_NOTE_CHARS} characters`);
  const order = await findOwnOrder(ctx, caller, orderId);
  const reports = new ReportRepository(ctx.db);
  const now = ctx.now();
  if ((await reports.countSince(caller.userHash, now - 3_600_000)) >= REPORTS_PER_HOUR) {
    throw new AppError('RATE_LIMITED', 'too many reports in an hour; please contact support instead');
  }
  const reportId = reportIdFor(order._id);
  // The note may hold personal data, as a prompt may: it is stored redacted.
  const note = redact(rawNote.trim()).text;
  await reports.save({ _id: reportId, orderId: order._id, conversationId: order.conversationId, userHash: caller.userHash, reason, note, status: 'open', createdAt: now, updatedAt: now });
  log('error', 'answer_reported', { reportId, orderId: order._id, reason, noteChars: [...note].length, orderStatus: order.status });
  return { reportId };
};
