import protobuf from 'protobufjs';

/**
 * The protobuf messages of cloud calls, with the field numbers of wx-server-sdk 4.0.2's
 * src/protobuf/openapi.js: the SDK sends `CommApiData { apiType, openapiData: { pairs: [{ key,
 * value }] }, appid }` as `requestData` of a `wx.openApi` request (one pair per request field,
 * the value being the field's JSON text; see `callWXOpenAPI` in src/api/openapi) and decodes the
 * answer as `CommOpenApiResp { respData, contentType, errorCode }` (`callGeneralOpenAPI`).
 * Cloud pay's `apiOptions` is `ApiOptions { appid }`.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    KeyValuePair: { fields: { key: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 }, contenttype: { type: 'string', id: 3 }, filename: { type: 'string', id: 4 } } },
    OpenApiData: { fields: { pairs: { rule: 'repeated', type: 'KeyValuePair', id: 1 } } },
    CommApiData: { fields: { apiType: { type: 'int32', id: 1 }, openapiData: { type: 'OpenApiData', id: 2 }, appid: { type: 'string', id: 6 } } },
    HttpHeader: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    CommOpenApiResp: {
      fields: {
        respData: { type: 'bytes', id: 1 },
        contentType: { type: 'string', id: 2 },
        errorCode: { type: 'int32', id: 3 },
        httpCode: { type: 'uint32', id: 4 },
        headers: { rule: 'repeated', type: 'HttpHeader', id: 5 },
        svrkitErrorCode: { type: 'int32', id: 6 },
      },
    },
    ApiOptions: { fields: { appid: { type: 'string', id: 1 } } },
  },
});

const CommApiData = root.lookupType('CommApiData');
const CommOpenApiResp = root.lookupType('CommOpenApiResp');

/** The request fields of a cloud call, as WeChat's HTTPS API would receive them in its JSON body. */
export function decodeOpenApiRequest(requestData: Buffer): { appid: string; body: Record<string, unknown> } {
  const message = CommApiData.toObject(CommApiData.decode(requestData), { defaults: true }) as {
    appid: string;
    openapiData?: { pairs?: { key: string; value: Uint8Array }[] };
  };
  const body: Record<string, unknown> = {};
  for (const pair of message.openapiData?.pairs ?? []) {
    const text = Buffer.from(pair.value).toString('utf8');
    try {
      body[pair.key] = JSON.parse(text) as unknown;
    } catch {
      body[pair.key] = text;
    }
  }
  return { appid: message.appid, body };
}

/** WeChat's JSON answer wrapped as the SDK expects it; `errorCode` is a platform error (e.g. -604101, no permission). */
export function encodeOpenApiAnswer(answer: { json: Record<string, unknown> } | { errorCode: number }): Buffer {
  const message =
    'json' in answer
      ? { respData: Buffer.from(JSON.stringify(answer.json)), contentType: 'application/json; charset=utf-8', errorCode: 0, httpCode: 200 }
      : { respData: Buffer.alloc(0), contentType: '', errorCode: answer.errorCode, httpCode: 200 };
  return Buffer.from(CommOpenApiResp.encode(CommOpenApiResp.create(message)).finish());
}
