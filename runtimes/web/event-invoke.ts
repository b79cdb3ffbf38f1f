/**
 * The image-style event path (`eventInvoke: http`, SPEC §4): each event is `POST /event-invoke` to the
 * user's server; a 2xx body is the result (JSON text), anything else is the function's error.
 */
import { FnError } from '../../gateway/errors.ts';
import { MAX_RESPONSE_BYTES } from '../../gateway/invoke/wrappers.ts';
import type { FunctionSpec, InvokeRequest } from '../runtime.ts';
import { jsonText } from '../subprocess/json-text.ts';
import { scfHeaders } from './headers.ts';
import type { WebServer } from './server.ts';

export const EVENT_INVOKE_PATH = '/event-invoke';

/** Rejects with the abort reason when `request.signal` aborts; the caller then gives the instance up. */
export async function invokeEvent(server: WebServer, spec: FunctionSpec, request: InvokeRequest, onAbort: () => void): Promise<string> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const upstream = server.request({
      method: 'POST',
      path: EVENT_INVOKE_PATH,
      headers: {
        ...scfHeaders(spec, request.requestId),
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(request.payload)),
      },
    });
    const aborted = (): void => {
      onAbort();
      upstream.destroy();
      reject(request.signal.reason);
    };
    if (request.signal.aborted) return aborted();
    request.signal.addEventListener('abort', aborted, { once: true });
    upstream.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // SPEC §5: an answer over 6 MB is refused (407); reading stops just past it.
        if (size > MAX_RESPONSE_BYTES) {
          upstream.destroy();
          reject(new FnError('RESPONSE_TOO_LARGE', `the function's response is over ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        request.signal.removeEventListener('abort', aborted);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', () => undefined);
    });
    upstream.on('error', async () => {
      request.signal.removeEventListener('abort', aborted);
      if (request.signal.aborted) return;
      const gone = await server.settle();
      reject(new FnError('USER_PROCESS_EXITED', gone ? server.endReason : `the web server closed the connection without answering ${EVENT_INVOKE_PATH}`));
    });
    upstream.end(request.payload);
  });
  if (status < 200 || status > 299) {
    throw new FnError('USER_CODE_EXCEPTION', body || `${EVENT_INVOKE_PATH} answered HTTP ${status}`);
  }
  // The result must be JSON text: a body that is not JSON becomes a JSON string.
  return jsonText(body);
}
