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
