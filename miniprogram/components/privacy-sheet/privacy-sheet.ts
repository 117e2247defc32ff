/**
 * The app's own consent sheet for WeChat's privacy authorization (services/privacy.ts): it opens
 * when WeChat asks before a protected API, shows the 用户隐私保护指引 on request
 * (wx.openPrivacyContract), and passes the user's answer on. Every page that may call a
 * protected API includes it.
 */
import { attachSheet, decide, detachSheet, type ConsentSheet } from '../../services/privacy';
import { format, messages, type Locale } from '../../services/i18n';

const sheets = new WeakMap<object, ConsentSheet>();

Component({
  properties: {
    locale: { type: String, value: 'zh' },
  },

  data: {
    open: false,
    t: messages('zh'),
    body: '',
    referrer: '',
  },

  observers: {
    locale(locale: string) {
      this.translate(locale === 'en' ? 'en' : 'zh');
    },
  },

  lifetimes: {
    attached() {
      this.translate(this.data.locale === 'en' ? 'en' : 'zh');
      const sheet: ConsentSheet = { open: (referrer) => this.show(referrer) };
      sheets.set(this, sheet);
      attachSheet(sheet);
    },
    detached() {
      const sheet = sheets.get(this);
      if (sheet) detachSheet(sheet);
      if (this.data.open) decide({ event: 'disagree' });
    },
  },

  pageLifetimes: {
    // The sheet of the page on screen answers WeChat's requests.
    show() {
      const sheet = sheets.get(this);
      if (sheet) attachSheet(sheet);
    },
  },

  methods: {
    translate(locale: Locale) {
      const t = messages(locale);
      const feature = this.data.referrer === 'setClipboardData' ? t.featureClipboard : t.featureGeneric;
      this.setData({ t, body: format(t.privacyBody, { feature }) });
    },

    show(referrer: string) {
      this.setData({ open: true, referrer });
      this.translate(this.data.locale === 'en' ? 'en' : 'zh');
    },

    onOpenGuide() {
      wx.openPrivacyContract({ fail: () => undefined });
    },

    /** WeChat fires this on the agree button itself, after recording that the user tapped it. */
    onAgree() {
      this.setData({ open: false });
      decide({ event: 'agree', buttonId: 'agree-btn' });
    },

    onDisagree() {
      this.setData({ open: false });
      decide({ event: 'disagree' });
    },
  },
});
