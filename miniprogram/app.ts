import type { AppOption } from './services/config';

App<AppOption>({
  globalData: {},
  onLaunch() {
    // CloudBase picks the environment selected in DevTools; without wx.cloud (the browser preview,
    // an old base library) services/cloud.ts talks to the local runtime instead.
    if (typeof wx.cloud !== 'undefined') wx.cloud.init({ traceUser: true });
  },
});
