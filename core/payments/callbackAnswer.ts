/**
 * What a cloud-pay callback function (payment or refund result) answers once the call is handled.
 * Any other answer counts as a failed callback, and the platform calls again for up to two days
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/paymentCallback.html).
 */
export const ACKNOWLEDGED = { errcode: 0, errmsg: '' } as const;
