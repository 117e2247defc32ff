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

/**
 * What the runtime's WeChat emulator answers for an opened virtual payment
 * (POST /api/xpay/request-payment, docs/LOCAL-RUNTIME.md): the order and which sheet shows it.
 */
export interface VirtualSheet {
  outTradeNo: string;
  mode: 'short_series_goods' | 'short_series_coin';
  env: 0 | 1;
  platform: string;
  sheet: 'wechat' | 'apple';
  priceFen: number;
  quantity: number;
  productId?: string;
  tokens?: number;
}

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** What is being bought, as the sheet names it: the tokens of a top-up, or the item and its quantity. */
function sheetItem(sheet: VirtualSheet): string {
  if (sheet.mode === 'short_series_coin') return `${sheet.tokens ?? sheet.quantity} 代币`;
  return `${sheet.productId ?? '道具'}${sheet.quantity > 1 ? ` × ${sheet.quantity}` : ''}`;
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

  /**
   * The virtual payment sheet, as the user meets it: WeChat Pay's on Android, HarmonyOS and
   * Windows, Apple's on iOS (WeChat docs: 虚拟支付 iOS 端接入, "平台会根据不同的设备类型、路由至对应的支付
   * 系统"). Both show what the emulator opened (the price, the tokens or item) and offer pay, a
   * simulated failure and cancel; the sandbox (env 1) is marked, as Apple has none.
   */
  virtualPaySheet(sheet: VirtualSheet, merchant: string, account: string): Promise<PayOutcome> {
    return new Promise((resolve) => {
      const apple = sheet.sheet === 'apple';
      const layer = element('div', 'mp-layer mp-mask mp-bottom');
      const box = element('div', `mp-vpay-sheet ${apple ? 'mp-vpay-apple' : 'mp-vpay-wechat'}`);
      box.setAttribute('role', 'dialog');
      box.dataset.sheet = sheet.sheet;
      box.setAttribute('aria-label', apple ? 'App Store' : '微信支付');
      const close = (outcome: PayOutcome) => {
        layer.remove();
        resolve(outcome);
      };
      const button = (className: string, text: string, outcome: PayOutcome) => {
        const node = element('button', className, text);
        node.dataset.action = outcome;
        node.onclick = () => close(outcome);
        return node;
      };
      if (apple) {
        const header = element('div', 'mp-apple-header');
        header.append(element('span', 'mp-apple-store', 'App Store · 模拟'), button('mp-apple-cancel', '取消', 'cancel'));
        const product = element('div', 'mp-apple-product');
        product.append(element('div', 'mp-apple-title', sheetItem(sheet)), element('div', 'mp-apple-app', `${merchant} · 微信小程序`));
        const rows = element('div', 'mp-apple-rows');
        rows.append(element('div', 'mp-apple-row', `账户  ${account}`), element('div', 'mp-apple-row mp-apple-price', yuan(sheet.priceFen)));
        box.append(header, product, rows, button('mp-apple-buy', '购买', 'success'), button('mp-apple-fail', '模拟购买失败', 'fail'));
      } else {
        const header = element('div', 'mp-pay-header');
        const dismiss = element('button', 'mp-pay-close', '✕');
        dismiss.setAttribute('aria-label', '取消支付');
        dismiss.onclick = () => close('cancel');
        header.append(dismiss, element('span', 'mp-pay-brand', `微信支付 · 模拟${sheet.env === 1 ? ' · 沙箱' : ''}`));
        const details = element('div', 'mp-pay-details');
        details.append(element('div', 'mp-vpay-item', `${merchant} · ${sheetItem(sheet)}`), element('div', 'mp-pay-number', `订单号 ${sheet.outTradeNo}`));
        const choices = element('div', 'mp-pay-choices');
        choices.append(button('mp-pay-secondary', '模拟支付失败', 'fail'), button('mp-pay-secondary', '取消', 'cancel'));
        box.append(header, element('div', 'mp-pay-amount', yuan(sheet.priceFen)), details, button('mp-pay-button', '支付', 'success'), choices);
      }
      layer.append(box);
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
