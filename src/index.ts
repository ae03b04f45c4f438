/** flowaudit's public library API (re-exports only). */
export * from './core/errors.js';
export * from './core/anomalies.js';
export * from './core/outcome.js';
export * from './capture/types.js';
export * from './decode/packet.js';
export * from './flow/record.js';
export { VERSION } from './version.js';

// The pipeline, for programs that embed flowaudit: evidence → policy → audit → report.
export { gatherEvidence, type GatherOptions } from './cli/gather.js';
export { builtinProfile, loadProfile, profileFromText, BUILTIN_PROFILES, type Profile, type Rule } from './rules/profile.js';
export { loadInventory, inventoryFromText, type Inventory } from './rules/inventory.js';
export { compilePolicy, type CompiledPolicy } from './rules/policy.js';
export { audit, createAuditor, failingFindings, type Auditor, type AuditOptions } from './audit/auditor.js';
export type { AuditReport, Finding, FindingKind } from './audit/types.js';
export { reporterFor, writeReport } from './report/reporter.js';
