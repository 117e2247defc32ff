/**
 * The simulated phone (an iPhone 6/7/8-sized screen, the size WeChat DevTools opens with), shared by
 * the server (which turns rpx into px) and the browser shell (which draws the frame).
 */
export const FRAME = {
  width: 375,
  height: 667,
  statusBarHeight: 20,
  navigationBarHeight: 44,
  tabBarHeight: 50,
  pixelRatio: 2,
} as const;

/** 750rpx is the screen's width, whatever the device. */
export const PX_PER_RPX = FRAME.width / 750;
