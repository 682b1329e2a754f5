import { describe, expect, it } from 'vitest';
import { isGatewayError } from './errors.ts';
import { decodeBody } from './body.ts';

const encoder = new TextEncoder();

/** A request whose body arrives as a stream of chunks, with no declared length (chunked). */
function streamed(text: string, type = 'application/json'): Request {
  const bytes = encoder.encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
      controller.close();
    },
  });
  return new Request('http://x/', { method: 'POST', body, headers: { 'content-type': type }, duplex: 'half' } as RequestInit);
}

function declared(text: string, length = encoder.encode(text).length): Request {
  return new Request('http://x/', {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
  });
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isGatewayError(error) ? error.code : String(error);
  }
}

describe('decodeBody', () => {
  const json = JSON.stringify({ name: 'Jenny', metadata: { plan: 'gold' } });

  it('reads a body of declared length and a streamed one alike', async () => {
    expect(await decodeBody(declared(json), ['json'], 1000)).toEqual(JSON.parse(json));
    expect(await decodeBody(streamed(json), ['json'], 1000)).toEqual(JSON.parse(json));
    expect(await decodeBody(declared(''), ['json'], 1000)).toEqual({});
  });

  it('holds both to the size limit', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(200) });
    expect(await code(decodeBody(declared(big), ['json'], 100))).toBe('payload_too_large');
    expect(await code(decodeBody(streamed(big), ['json'], 100))).toBe('payload_too_large');
    // A declared length that understates the body (possible only in-process) changes nothing.
    expect(await code(decodeBody(declared(big, 10), ['json'], 100))).toBe('payload_too_large');
  });

  it('still refuses prototype keys and malformed JSON on either path', async () => {
    const evil = '{"metadata":{"__proto__":{"x":1}}}';
    expect(await code(decodeBody(declared(evil), ['json'], 1000))).toBe('invalid_request');
    expect(await code(decodeBody(streamed(evil), ['json'], 1000))).toBe('invalid_request');
    expect(await code(decodeBody(declared('{"a":'), ['json'], 1000))).toBe('malformed_body');
  });

  it('answers a body cut off by the client as malformed, not as an internal error', async () => {
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"name":'));
        controller.error(new Error('aborted'));
      },
    });
    const request = new Request('http://x/', {
      method: 'POST',
      body: cut,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(await code(decodeBody(request, ['json'], 1000))).toBe('malformed_body');
  });
});
