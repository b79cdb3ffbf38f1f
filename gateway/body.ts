/** Reading request bodies with a size cap that stops reading as soon as the cap is passed. */
import { FnError } from './errors.ts';

/** SPEC §5: synchronous payloads up to 6 MB, asynchronous up to 128 KB. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 128 * 1024;

export async function readBodyText(request: Request, limit: number): Promise<string> {
  return Buffer.from(await readBodyBytes(request, limit)).toString('utf8');
}

export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** The event text of an invoke: empty means `{}`; anything else must be JSON (400). */
export function validateEventJson(text: string): string {
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (error) {
    throw new FnError('EVENT_NOT_JSON', `the event is not valid JSON: ${(error as Error).message}`);
  }
  return text;
}

function tooLarge(limit: number): FnError {
  return new FnError('REQUEST_TOO_LARGE', `the request body is over the ${limit} byte limit`);
}
