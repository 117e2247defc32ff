/** Navigation and feedback through WeChat's own UI, never leaving a rejected promise behind. */

/** Opens a page on top; when the page stack is full (10 pages) it replaces the current one instead. */
export function openPage(url: string): void {
  wx.navigateTo({
    url,
    fail: () => {
      wx.redirectTo({ url, fail: () => undefined });
    },
  });
}

export function toast(title: string): void {
  wx.showToast({ title, icon: 'none', duration: 2500, fail: () => undefined });
}

export function setTitle(title: string): void {
  wx.setNavigationBarTitle({ title, fail: () => undefined });
}

/** Asks before an action that cannot be undone; true only when the user confirmed. */
export function confirmAction(content: string, confirmText: string, cancelText: string): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({
      content,
      confirmText,
      cancelText,
      success: (answer) => resolve(answer.confirm === true),
      fail: () => resolve(false),
    });
  });
}

export const HOME_ROUTE = 'pages/index/index';

function openPages(): { route?: string }[] {
  try {
    return typeof getCurrentPages === 'function' ? (getCurrentPages() as { route?: string }[]) : [];
  } catch {
    return [];
  }
}

/** True when this page was opened first (a reload, a subscribe message, a shared link): no page below it. */
export function openedFirst(): boolean {
  return openPages().length <= 1;
}

/**
 * Back to the home page without stacking another one: back to the home page below, when there is
 * one, otherwise a fresh stack with home alone (wx.reLaunch).
 */
export function goHome(): void {
  const pages = openPages();
  const home = pages.map((page) => page.route).lastIndexOf(HOME_ROUTE);
  const relaunch = () => wx.reLaunch({ url: `/${HOME_ROUTE}`, fail: () => undefined });
  if (home >= 0 && home < pages.length - 1) wx.navigateBack({ delta: pages.length - 1 - home, fail: relaunch });
  else relaunch();
}

/** wx.setClipboardData as a promise that never rejects: null when copied, else the failure. */
export function copyText(data: string): Promise<{ errMsg: string } | null> {
  return new Promise((resolve) => {
    wx.setClipboardData({
      data,
      success: () => resolve(null),
      fail: (error: { errMsg: string }) => resolve(error),
    });
  });
}
