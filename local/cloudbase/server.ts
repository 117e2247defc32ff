import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionHost } from '../functions/host';
import { sendJson } from '../http';
import { tcbError, type ApiAnswer, type CloudbaseDispatcher } from './dispatcher';
import { credentialOf, readApiRequest, signatureValid } from './wire';

/** Where the functions' SDK sends its requests (`TCB_CONTEXT_CNFG.URL`, read by `getServerInjectUrl` in @cloudbase/node-sdk/dist/utils/tcbcontext.js). */
export const CLOUDBASE_API_PATH = '/admin';

/**
 * How long a request that gets no answer is held open before its connection is dropped: longer than
 * any function's time limit (60 s) and the SDK's request timeout, so the caller's own timeout is
 * what it sees.
 */
const NO_ANSWER_HOLD_MS = 65_000;

function send(res: ServerResponse, answer: ApiAnswer): void {
  if ('noAnswer' in answer) {
    // @cloudbase/node-sdk's timeout only reports the request failed; it leaves the socket open.
    const drop = setTimeout(() => res.destroy(), NO_ANSWER_HOLD_MS);
    drop.unref();
    res.on('close', () => clearTimeout(drop));
    return;
  }
  if ('raw' in answer) {
    res.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.raw.length });
    res.end(answer.raw);
    return;
  }
  sendJson(res, 200, answer.json);
}

/**
 * CloudBase's server API as the functions' SDK reaches it: every request is signed with the
 * temporary credentials issued to one invocation (SCF hands them over as TENCENTCLOUD_SECRETID /
 * TENCENTCLOUD_SECRETKEY / TENCENTCLOUD_SESSIONTOKEN; @cloudbase/node-sdk's `getCredentialsOnDemand`
 * reads them at request time), which tells the dispatcher which invocation and function it came from.
 */
export function createCloudbaseApiHandler(host: () => FunctionHost, dispatcher: CloudbaseDispatcher) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = await readApiRequest(req);
    const secretId = credentialOf(req);
    const invocation = secretId ? host().invocationFor(secretId) : undefined;
    if (!invocation) return send(res, tcbError('INVALID_CREDENTIALS', 'the credentials belong to no running invocation'));
    if (params.sessionToken !== invocation.credentials.sessionToken || !signatureValid(req, params, invocation.credentials.secretKey)) {
      return send(res, tcbError('SIGN_PARAM_INVALID', 'signature or session token does not match'));
    }
    const action = typeof params.action === 'string' ? params.action : '';
    const source = typeof req.headers['x-tcb-source'] === 'string' ? req.headers['x-tcb-source'] : '';
    send(res, await dispatcher.dispatch({ action, params, invocation, source }));
  };
}
