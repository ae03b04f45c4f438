/** flowaudit's public library API (re-exports only). */
export * from './core/errors.js';
export * from './core/anomalies.js';
export * from './core/outcome.js';
export * from './capture/types.js';
export * from './decode/packet.js';
export * from './flow/record.js';
export { VERSION } from './version.js';
