import type { AppOption } from './services/config';
import { listenForPrivacyRequests } from './services/privacy';

App<AppOption>({
  globalData: {},
  onLaunch() {
    // CloudBase picks the environment selected in DevTools; without wx.cloud (the browser preview,
    // an old base library) services/cloud.ts talks to the local runtime instead.
    if (typeof wx.cloud !== 'undefined') wx.cloud.init({ traceUser: true });
    // Before any page calls a protected API: the pages' consent sheet answers WeChat's requests.
    listenForPrivacyRequests();
  },
});
