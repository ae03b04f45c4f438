/**
 * Error classes with stable codes. Every user-facing error carries a code and the numbers
 * (file, byte offset, what was expected). The CLI prints `flowaudit: <message>` for any
 * FlowauditError and exits with its `exitCode`; anything else is a bug and gets a stack trace.
 */

export class FlowauditError extends Error {
  readonly code: string;
  /** Process exit code the CLI uses when this error ends a run (2 = usage or unreadable input). */
  readonly exitCode: number = 2;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad command-line usage, bad option values. */
export class UsageError extends FlowauditError {}

/** A configuration file (profile, inventory) is wrong. `pointer` is a JSON pointer. */
export class ConfigError extends FlowauditError {
  readonly file: string;
  readonly pointer: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(code: string, file: string, pointer: string, message: string, line?: number, column?: number) {
    const where = line !== undefined ? `:${line}:${column ?? 1}` : '';
    super(code, `${file}${where}: ${pointer || '/'}: ${message}`);
    this.file = file;
    this.pointer = pointer;
    this.line = line;
    this.column = column;
  }
}

/**
 * A capture or evidence file cannot be read (any further). `offset` is the byte offset in the
 * (decompressed) input where the problem starts.
 */
export class CaptureFormatError extends FlowauditError {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(code: string, file: string, offset: number, reason: string) {
    super(code, `${file}: at byte ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

export function isFlowauditError(e: unknown): e is FlowauditError {
  return e instanceof FlowauditError;
}
