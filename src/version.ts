import { createRequire } from 'node:module';

/** package.json's version, put in by the bundler (tools/bundle.mjs); not defined in tsc's output or under tsx. */
declare const FLOWAUDIT_BUNDLED_VERSION: string | undefined;

/** The package version, read from package.json (one source of truth). */
export const VERSION: string = typeof FLOWAUDIT_BUNDLED_VERSION === 'string'
  ? FLOWAUDIT_BUNDLED_VERSION
  : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
export const TOOL_NAME = 'flowaudit';
