/**
 * What WeChat draws over a page: toast, loading, modal, the WeChat Pay sheet and the
 * subscribe-message consent, drawn inside the phone frame. Each is real DOM that a person (or the
 * end-to-end test) sees and taps; none resolves on its own.
 */

export type PayOutcome = 'success' | 'cancel' | 'fail';

export interface ToastOptions {
  title: string;
  icon?: 'success' | 'error' | 'loading' | 'none';
  duration?: number;
  mask?: boolean;
}

export interface ModalOptions {
  title?: string;
  content?: string;
  showCancel?: boolean;
  cancelText?: string;
  cancelColor?: string;
  confirmText?: string;
  confirmColor?: string;
}

export interface SheetTrade {
  outTradeNo: string;
  amountFen: number;
  description: string;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const ICONS: Record<string, string> = { success: '✓', error: '✕' };

export class Overlays {
  private toast: { node: HTMLElement; timer: number | undefined; loading: boolean } | null = null;

  constructor(private readonly root: HTMLElement) {}

  /** wx.showToast and wx.showLoading share one place, as in WeChat: a new one replaces the old. */
  showToast(options: ToastOptions, loading = false): void {
    this.hideToast();
    const layer = element('div', options.mask ? 'mp-layer mp-mask-clear' : 'mp-layer mp-passthrough');
    const icon = loading || options.icon === 'loading' ? 'loading' : (options.icon ?? 'success');
    const box = element('div', `mp-toast${icon === 'none' ? ' mp-toast-text' : ''}`);
    box.setAttribute('role', 'status');
    box.dataset.kind = loading ? 'loading' : 'toast';
    if (icon === 'loading') box.append(element('div', 'mp-spinner'));
    else if (icon !== 'none') box.append(element('div', 'mp-toast-icon', ICONS[icon] ?? '✓'));
    box.append(element('div', 'mp-toast-title', options.title));
    layer.append(box);
    this.root.append(layer);
    const duration = loading ? undefined : (options.duration ?? 1500);
    this.toast = { node: layer, loading, timer: duration === undefined ? undefined : window.setTimeout(() => this.hideToast(), duration) };
  }

  hideToast(onlyLoading = false): void {
    if (!this.toast || (onlyLoading && !this.toast.loading)) return;
    window.clearTimeout(this.toast.timer);
    this.toast.node.remove();
    this.toast = null;
  }

  showModal(options: ModalOptions): Promise<{ confirm: boolean; cancel: boolean }> {
    return new Promise((resolve) => {
      const layer = element('div', 'mp-layer mp-mask');
      const box = element('div', 'mp-modal');
      box.setAttribute('role', 'dialog');
      if (options.title) box.append(element('div', 'mp-modal-title', options.title));
      if (options.content) box.append(element('div', 'mp-modal-content', options.content));
      const buttons = element('div', 'mp-modal-buttons');
      const close = (confirm: boolean) => {
        layer.remove();
        resolve({ confirm, cancel: !confirm });
      };
      if (options.showCancel !== false) {
        const cancel = element('button', 'mp-modal-button', options.cancelText ?? '取消');
        cancel.dataset.action = 'cancel';
        cancel.style.color = options.cancelColor ?? '#000000';
        cancel.onclick = () => close(false);
        buttons.append(cancel);
      }
      const confirm = element('button', 'mp-modal-button', options.confirmText ?? '确定');
      confirm.dataset.action = 'confirm';
      confirm.style.color = options.confirmColor ?? '#576B95';
      confirm.onclick = () => close(true);
      buttons.append(confirm);
      box.append(buttons);
      layer.append(box);
      this.root.append(layer);
    });
  }

  /** The simulated WeChat Pay sheet: what WeChat Pay knows about the prepay order, and the user's choice. */
  paySheet(trade: SheetTrade, merchant: string): Promise<PayOutcome> {
    return new Promise((resolve) => {
      const layer = element('div', 'mp-layer mp-mask mp-bottom');
      const sheet = element('div', 'mp-pay-sheet');
      sheet.setAttribute('role', 'dialog');
      sheet.setAttribute('aria-label', '微信支付');
      const close = (outcome: PayOutcome) => {
        layer.remove();
        resolve(outcome);
      };
      const header = element('div', 'mp-pay-header');
      const dismiss = element('button', 'mp-pay-close', '✕');
      dismiss.setAttribute('aria-label', '取消支付');
      dismiss.onclick = () => close('cancel');
      header.append(dismiss, element('span', 'mp-pay-brand', '微信支付 · 模拟'));
      const amount = element('div', 'mp-pay-amount', `¥${(trade.amountFen / 100).toFixed(2)}`);
      const details = element('div', 'mp-pay-details');
      details.append(element('div', '', `${merchant} · ${trade.description}`), element('div', 'mp-pay-number', `商户单号 ${trade.outTradeNo}`));
      const pay = element('button', 'mp-pay-button', '支付');
      pay.dataset.action = 'success';
      pay.onclick = () => close('success');
      const choices = element('div', 'mp-pay-choices');
      const fail = element('button', 'mp-pay-secondary', '模拟支付失败');
      fail.dataset.action = 'fail';
      fail.onclick = () => close('fail');
      const cancel = element('button', 'mp-pay-secondary', '取消');
      cancel.dataset.action = 'cancel';
      cancel.onclick = () => close('cancel');
      choices.append(fail, cancel);
      sheet.append(header, amount, details, pay, choices);
      layer.append(sheet);
      this.root.append(layer);
    });
  }

  /** The one-time subscription prompt: one choice for every template asked for. */
  /** WeChat lists each template by its title (as chosen in the admin console), never by its id. */
  subscribeConsent(templateTitles: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      const layer = element('div', 'mp-layer mp-mask mp-bottom');
      const sheet = element('div', 'mp-subscribe-sheet');
      sheet.setAttribute('role', 'dialog');
      sheet.append(element('div', 'mp-subscribe-title', '是否允许发送以下消息？'));
      for (const title of templateTitles) sheet.append(element('div', 'mp-subscribe-item', title));
      const buttons = element('div', 'mp-subscribe-buttons');
      const close = (accept: boolean) => {
        layer.remove();
        resolve(accept);
      };
      const reject = element('button', 'mp-subscribe-reject', '拒绝');
      reject.dataset.action = 'reject';
      reject.onclick = () => close(false);
      const accept = element('button', 'mp-subscribe-accept', '允许');
      accept.dataset.action = 'accept';
      accept.onclick = () => close(true);
      buttons.append(reject, accept);
      sheet.append(buttons);
      layer.append(sheet);
      this.root.append(layer);
    });
  }
}
