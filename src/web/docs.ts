import type { AnyDialect } from '../contract/dialect.ts';

// GET /docs: Swagger UI over the five OpenAPI documents, from the gateway's own copy of
// swagger-ui-dist. No inline script (CSP): the page loads its set-up from /docs/init.js.

export const docsHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>custgate API reference</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** The gateway API's own document (its upstream routes, src/openapi/gateway-upstreams.ts). */
export const gatewayOpenApiPath = '/gateway/v1/openapi.json';

/** Swagger UI's set-up: one entry per dialect in the registry and the gateway API's; no validator badge (it calls out). */
export function docsInit(dialects: readonly AnyDialect[]): string {
  const urls = [
    ...dialects.map((d) => ({ url: `${d.routes.prefix}/openapi.json`, name: d.title })),
    { url: gatewayOpenApiPath, name: 'Gateway API: upstreams' },
  ];
  return `"use strict";
window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(urls)},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout",
});
`;
}
