import type { Database } from '../platform/wxCloud';

export const REPORTS = 'reports';

/** Why a user reports an answer (举报/反馈): the page offers these, in this order. */
export const REPORT_REASONS = ['illegal', 'harmful', 'inaccurate', 'privacy', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** A note is at most this many characters (code points). */
export const MAX_NOTE_CHARS = 200;

/**
 * A user's report of an answer, for the operator: the complaint channel that 《生成式人工智能服务
 * 管理暂行办法》 requires of a generative AI service (docs/COMPLIANCE.md). No raw openid: the
 * user's hash, as on the orders. One report per order: reporting the same answer again replaces
 * the reason and note and opens it again.
 */
export interface ReportDocument {
  /** `r` + the random part of the order's id. */
  _id: string;
  orderId: string;
  conversationId: string;
  userHash: string;
  reason: ReportReason;
  /** The user's words, redacted as prompts are (core/privacy/redact.ts); empty when none. */
  note: string;
  /** `open` until an operator deals with it (in the console). */
  status: 'open';
  createdAt: number;
  updatedAt: number;
}

export function reportIdFor(orderId: string): string {
  return `r${orderId.slice(1)}`;
}

export class ReportRepository {
  constructor(private readonly db: Database) {}

  /** Records the report; a report of the same order already there is replaced (reason, note, time) and opened again. */
  async save(report: ReportDocument): Promise<void> {
    const collection = this.db.collection(REPORTS);
    try {
      await collection.add({ data: report as unknown as Record<string, unknown> });
      return;
    } catch (error) {
      // There already (reported before, or a retry whose first answer was lost): replace its facts.
      const { data } = await collection.where({ _id: report._id }).limit(1).get();
      if (data.length === 0) throw error;
    }
    await collection
      .where({ _id: report._id, userHash: report.userHash })
      .update({ data: { reason: report.reason, note: report.note, status: 'open', updatedAt: report.updatedAt } });
  }

  /** Reports the user made or renewed since `since` (the rate limit). */
  async countSince(userHash: string, since: number): Promise<number> {
    const _ = this.db.command;
    const { total } = await this.db.collection(REPORTS).where({ userHash, updatedAt: _.gte(since) }).count();
    return total;
  }
}
