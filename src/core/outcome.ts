/**
 * Per-packet decode outcome. Truncated, malformed and unsupported are three different outcomes;
 * the per-packet path returns one of these and never throws.
 */
export const Outcome = { Ok: 0, Truncated: 1, Malformed: 2, Unsupported: 3 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export const OUTCOME_NAMES = ['decoded', 'truncated', 'malformed', 'unsupported'] as const;
