/** Exit codes, for every command. */
export const ExitCode = {
  /** Success: nothing that --fail-on names was found. */
  Ok: 0,
  /** The audit found what --fail-on names. */
  Findings: 1,
  /** Usage error, bad configuration, or input that could not be read at all. */
  Error: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
