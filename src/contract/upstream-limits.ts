// What an upstream add takes at most (src/upstream/upstream-input.ts checks them; the gateway
// API's OpenAPI document states them).

/** As a webhook endpoint's URL (src/webhooks/endpoint-fields.ts): it is shown in every listing and history. */
export const maxBaseUrlChars = 2048;

/**
 * The credentials' JSON at most: each value goes to the provider in a header, and servers take
 * 8 to 16 KiB of headers in all. Larger ones were sealed in one call whose base64 overflowed the
 * stack (a 500), or would have been stored to fail every request.
 */
export const maxCredentialsBytes = 8192;
