/**
 * The phones the preview can pretend to be, so that a tester sees both payment sheets and the iOS
 * rules: virtual payment goes to WeChat Pay on Android and to Apple on iOS, and reaches Apple only
 * from iOS 15 with WeChat 8.0.68 or newer (WeChat docs: 虚拟支付 > iOS 端接入,
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment/ios.html).
 * `platform`, `system` and `version` are what wx.getDeviceInfo / wx.getAppBaseInfo report
 * (https://developers.weixin.qq.com/miniprogram/dev/api/base/system/wx.getDeviceInfo.html,
 * https://developers.weixin.qq.com/miniprogram/dev/api/base/system/wx.getAppBaseInfo.html).
 */
export interface PreviewDevice {
  id: string;
  label: string;
  platform: 'android' | 'ios';
  brand: string;
  model: string;
  /** wx.getDeviceInfo().system */
  system: string;
  /** wx.getAppBaseInfo().version: WeChat's own version. */
  version: string;
}

export const DEVICES: readonly PreviewDevice[] = [
  { id: 'android', label: 'Android · WeChat 8.0.68', platform: 'android', brand: 'Xiaomi', model: 'Preview Android', system: 'Android 14', version: '8.0.68' },
  { id: 'ios', label: 'iPhone · iOS 17.5 · WeChat 8.0.68', platform: 'ios', brand: 'iPhone', model: 'iPhone 15', system: 'iOS 17.5.1', version: '8.0.68' },
  { id: 'ios-old-wechat', label: 'iPhone · iOS 17.5 · WeChat 8.0.67 (no payment)', platform: 'ios', brand: 'iPhone', model: 'iPhone 15', system: 'iOS 17.5.1', version: '8.0.67' },
  { id: 'ios-14', label: 'iPhone · iOS 14.8 · WeChat 8.0.70 (no payment)', platform: 'ios', brand: 'iPhone', model: 'iPhone 8', system: 'iOS 14.8', version: '8.0.70' },
];

export const DEFAULT_DEVICE = DEVICES[0] as PreviewDevice;

export function deviceById(id: string | null): PreviewDevice | undefined {
  return DEVICES.find((device) => device.id === id);
}

/** Dotted versions compared part by part. */
function atLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Whether this phone's WeChat can hand a virtual payment to Apple (iOS 15+, WeChat 8.0.68+); Android always can. */
export function canReachPayment(device: PreviewDevice): boolean {
  if (device.platform !== 'ios') return true;
  const major = Number(/(\d+)/.exec(device.system)?.[1] ?? 0);
  return major >= 15 && atLeast(device.version, '8.0.68');
}
