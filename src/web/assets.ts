// What the runtime entry hands the gateway to serve /docs: Swagger UI's files (swagger-ui-dist).
// Node reads them from node_modules (node-assets.ts); the Worker has none (see docs/web.md).

export interface StaticAssets {
  /** A file of swagger-ui-dist by its name, or undefined. */
  read(file: string): Promise<Uint8Array | undefined>;
}

/** The only files /docs/assets/ serves, with their media types. */
export const swaggerFiles = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const satisfies Record<string, string>;
export type SwaggerFile = keyof typeof swaggerFiles;

export const isSwaggerFile = (file: string): file is SwaggerFile => Object.hasOwn(swaggerFiles, file);
