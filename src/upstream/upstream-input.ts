import * as v from 'valibot';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { maxBaseUrlChars, maxCredentialsBytes } from '../contract/upstream-limits.ts';

// The inputs of an upstream add (`custgate upstream add`, POST /gateway/v1/upstreams) checked
// before anything is sealed or stored: the base URL and the credentials.

/** A refusal of one input, naming it (`issues[0].path`), in the gateway API's envelope. */
export const invalid = (path: string, message: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: [path], kind: 'value', message }] });

export function baseUrlOf(text: string): string {
  if (text.length > maxBaseUrlChars) throw invalid('base_url', `The base URL is longer than ${maxBaseUrlChars} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('base_url', `Not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('base_url', 'The base URL must be http:// or https://.');
  if (url.username || url.password || url.search || url.hash) {
    throw invalid('base_url', 'The base URL takes no user, password, query or fragment: credentials go in --credentials.');
  }
  const href = url.href.replace(/\/+$/, '');
  // Percent-encoding can lengthen what was given.
  if (href.length > maxBaseUrlChars) throw invalid('base_url', `The base URL is longer than ${maxBaseUrlChars} characters.`);
  return href;
}

/**
 * Why the credentials are refused, naming the member and what it must be but never what was
 * given: valibot's own message ends "but received <the value>", and the value may be the secret
 * itself (a bare key sent where the object goes), which an answer, a terminal or a proxy's log keeps.
 */
function issueText(issue: v.BaseIssue<unknown>): string {
  const where = ['credentials', ...(issue.path ?? []).map((item) => String(item.key))].join('.');
  const quotesInput = issue.received !== undefined && issue.message.includes(issue.received);
  return quotesInput ? `${where} must be ${issue.expected ?? `a valid ${issue.type}`}` : `${where}: ${issue.message}`;
}

/** The credentials as the dialect takes them, and their JSON to seal; `expectedKeys` names the members in a refusal. */
export async function credentialsOf(dialect: AnyDialect, given: unknown, expectedKeys: () => Promise<string>) {
  const parsed = v.safeParse(dialect.client.credentials, given);
  if (!parsed.success) {
    const expected = await expectedKeys();
    throw invalid(
      'credentials',
      `The ${dialect.name} credentials are not in the shape of its \`tenant create --json\` entry (${expected}): ${issueText(parsed.issues[0])}`,
    );
  }
  const json = JSON.stringify(parsed.output);
  if (new TextEncoder().encode(json).length > maxCredentialsBytes)
    throw invalid('credentials', `The credentials are larger than ${maxCredentialsBytes} bytes as JSON.`);
  return { output: parsed.output, json };
}
