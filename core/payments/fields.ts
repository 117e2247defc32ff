/**
 * Cloud pay events and answers arrive in camelCase (wx-server-sdk converts WeChat Pay's
 * snake_case with `/_[a-z]/`, so an index suffix such as `_0` stays: `refundStatus_0`); the
 * snake_case spelling is read too, for payloads the SDK did not convert.
 */
export function readField(record: Record<string, unknown>, camel: string): unknown {
  if (record[camel] !== undefined) return record[camel];
  return record[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}
