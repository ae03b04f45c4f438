import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { version: string; name: string };

/** The package version, read from package.json (one source of truth). */
export const VERSION: string = pkg.version;
export const TOOL_NAME = 'flowaudit';
