/** The policies an audit compares against: the other built-in profiles over the same inventory. */
import { compilePolicy, type CompiledPolicy } from './policy.js';
import { BUILTIN_PROFILES, builtinProfile } from './profile.js';

/** The other built-in profiles that define every role of `policy` (so explanations can say what they would allow). */
export async function comparePolicies(policy: CompiledPolicy): Promise<CompiledPolicy[]> {
  const compare: CompiledPolicy[] = [];
  for (const name of BUILTIN_PROFILES) {
    if (name === policy.profile.name) continue;
    const other = await builtinProfile(name);
    if (Object.keys(policy.profile.roles).every((r) => r in other.roles)) compare.push(compilePolicy(other, policy.inventory, [...policy.features]));
  }
  return compare;
}
