/**
 * 举报/反馈 for one answer: a reason, an optional note, sent with reportAnswer and recorded for the
 * operator; the operator's contact is shown beside it. A generative AI service in China must offer
 * a complaint channel (《生成式人工智能服务管理暂行办法》第十五条; linked in docs/ARCHITECTURE.md);
 * every answer on screen has this one.
 * The page opens it with `open` and an `orderId`, and hears `close` when it is done.
 */
import { cloudApi } from '../../services/cloud';
import { errorMessage, format, messages, type Locale, type Messages } from '../../services/i18n';
import { toast } from '../../services/ui';
import type { ReportReason } from '../../services/types';

/** The longest note the server takes (reportAnswer: note ≤ 200 characters). */
export const REPORT_NOTE_LIMIT = 200;

const REASONS: Array<{ id: ReportReason; label: keyof Messages }> = [
  { id: 'illegal', label: 'reportReasonIllegal' },
  { id: 'harmful', label: 'reportReasonHarmful' },
  { id: 'inaccurate', label: 'reportReasonInaccurate' },
  { id: 'privacy', label: 'reportReasonPrivacy' },
  { id: 'other', label: 'reportReasonOther' },
];

function isReason(value: unknown): value is ReportReason {
  return REASONS.some((reason) => reason.id === value);
}

Component({
  properties: {
    open: { type: Boolean, value: false },
    orderId: { type: String, value: '' },
    locale: { type: String, value: 'zh' },
    contact: { type: String, value: '' },
  },

  data: {
    t: messages('zh'),
    reasons: [] as Array<{ id: ReportReason; label: string }>,
    reason: '',
    note: '',
    noteLimit: REPORT_NOTE_LIMIT,
    notePlaceholder: '',
    contactText: '',
    error: '',
    busy: false,
  },

  observers: {
    'locale, contact': function (this: WechatMiniprogram.Component.TrivialInstance) {
      (this as unknown as { translate(): void }).translate();
    },
    open(open: boolean) {
      // Each opening starts afresh.
      if (open) this.setData({ reason: '', note: '', error: '', busy: false });
    },
  },

  lifetimes: {
    attached() {
      this.translate();
    },
  },

  methods: {
    translate() {
      const locale: Locale = this.data.locale === 'en' ? 'en' : 'zh';
      const t = messages(locale);
      this.setData({
        t,
        reasons: REASONS.map((reason) => ({ id: reason.id, label: t[reason.label] })),
        notePlaceholder: format(t.reportNotePlaceholder, { limit: REPORT_NOTE_LIMIT }),
        contactText: this.data.contact ? format(t.reportContact, { contact: this.data.contact }) : '',
      });
    },

    onChoose(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (isReason(id)) this.setData({ reason: id, error: '' });
    },

    onNote(event: WechatMiniprogram.Input) {
      this.setData({ note: [...event.detail.value].slice(0, REPORT_NOTE_LIMIT).join('') });
    },

    onCancel() {
      if (!this.data.busy) this.triggerEvent('close', { reported: false });
    },

    async onSubmit() {
      const { t, reason, busy } = this.data;
      if (busy) return;
      if (!isReason(reason)) {
        this.setData({ error: t.reportChooseReason });
        return;
      }
      const note = this.data.note.trim();
      this.setData({ busy: true, error: '' });
      const answer = await cloudApi().reportAnswer({ orderId: this.data.orderId, reason, ...(note ? { note } : {}) });
      this.setData({ busy: false });
      if (!answer.ok) {
        this.setData({ error: errorMessage(answer.error.code, t) });
        return;
      }
      toast(t.reportThanks);
      this.triggerEvent('close', { reported: true, reportId: answer.reportId });
    },

    /** Taps inside the sheet stay there (the mask is not a way to close it: the buttons are). */
    onSheetTap() {
      return undefined;
    },
  },
});
