/** Shared policy options: `--inventory FILE`, `--profile NAME|FILE`, `--features a,b`. */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { checkFeatures, loadInventory } from '../../rules/inventory.js';
import { compilePolicy, type CompiledPolicy } from '../../rules/policy.js';
import { BUILTIN_PROFILES, DEFAULT_PROFILE, loadProfile } from '../../rules/profile.js';

export interface PolicyArgs {
  inventory?: string;
  profile: string;
  features?: string[];
}

export function withPolicyOptions<T>(y: Argv<T>, inventoryRequired = true): Argv<T & PolicyArgs> {
  return y
    .option('inventory', {
      type: 'string', requiresArg: true, demandOption: inventoryRequired ? 'Give the inventory: --inventory FILE (which hosts hold which roles)' : false,
      describe: 'Inventory JSON: {"roles": {"<role>": [addresses, CIDRs, hostnames, "*.wildcards", "internet"]}, "features": [...], "proxy": [...]}',
    })
    .option('profile', {
      type: 'string', default: DEFAULT_PROFILE, requiresArg: true,
      describe: `Rule profile: a built-in name (${BUILTIN_PROFILES.join(', ')}) or a profile JSON file`,
    })
    .option('features', {
      type: 'string', array: true, requiresArg: true,
      describe: 'Features that are on (adds to the inventory\'s "features"), e.g. --features ldaps,phs',
      coerce: (v: string[]) => v.flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== ''),
    }) as unknown as Argv<T & PolicyArgs>;
}

/** Load, validate and compile the profile and inventory the arguments name. */
export async function policyOf(a: PolicyArgs): Promise<CompiledPolicy> {
  if (a.inventory === undefined) throw new UsageError('usage.inventory', 'missing --inventory FILE (which hosts hold which roles)');
  const profile = await loadProfile(a.profile);
  const inventory = await loadInventory(a.inventory, profile);
  const extra = a.features ?? [];
  checkFeatures(extra, profile);
  return compilePolicy(profile, inventory, extra);
}
