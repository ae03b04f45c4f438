/**
 * A small strict JSON parser that remembers where every value starts, so configuration errors can
 * name the JSON pointer *and* the line/column of the offending value. Used for user-supplied
 * profiles and inventories (a few KB); JSON.parse stays the tool for bulk data.
 */
import { ConfigError } from '../core/errors.js';

export interface Located {
  value: unknown;
  /**
   * Line/column (1-based) of the value at a JSON pointer (or of its property name, with `key`),
   * or of its nearest located ancestor.
   */
  locate(pointer: string, key?: boolean): { line: number; column: number } | undefined;
}

/**
 * Configuration file bytes → text: UTF-8 (with or without BOM) or UTF-16 with a BOM (what
 * PowerShell 5.1's `>` and `Out-File` write). UTF-16 without a BOM is refused with a clear reason.
 */
export function decodeConfigText(buf: Buffer, file: string): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const le = Buffer.from(buf.subarray(2));
    le.swap16();
    return le.toString('utf16le');
  }
  if (buf.length >= 2 && (buf[0] === 0 || buf[1] === 0)) {
    throw new ConfigError('ERR_CONFIG_ENCODING', file, '', 'the file looks like UTF-16 without a byte-order mark (NUL bytes); save it as UTF-8');
  }
  return buf.toString('utf8');
}

/** Escape one reference token of a JSON pointer (RFC 6901). */
export function ptr(...tokens: Array<string | number>): string {
  return tokens.map((t) => '/' + String(t).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function parseLocated(text: string, file: string): Located {
  const offsets = new Map<string, number>();
  const keyOffsets = new Map<string, number>();
  let i = 0;
  const n = text.length;
  // Skip a UTF-8 BOM.
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  const lineCol = (pos: number): { line: number; column: number } => {
    let line = 1, last = -1;
    for (let k = 0; k < pos && k < n; k++) if (text.charCodeAt(k) === 10) { line++; last = k; }
    return { line, column: pos - last };
  };
  const fail = (pos: number, what: string): never => {
    const lc = lineCol(pos);
    throw new ConfigError('ERR_CONFIG_JSON', file, '', `invalid JSON: ${what}`, lc.line, lc.column);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const describe = (pos: number): string => (pos >= n ? 'end of file' : `'${text[pos]}'`);

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) fail(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return out; }
      if (c < 0x20) fail(i, 'control character in string');
      if (c === 92) {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) { out += simple[e]; i += 2; continue; }
        if (e === 'u') {
          const h = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail(i, 'bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
          continue;
        }
        fail(i, 'bad escape');
      }
      out += text[i];
      i++;
    }
  };

  const parseValue = (pointer: string): unknown => {
    ws();
    offsets.set(pointer, i);
    if (i >= n) fail(i, 'unexpected end of file, expected a value');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i, `expected a property name in double quotes, found ${describe(i)}`);
        const keyPos = i;
        const key = parseString();
        const childPtr = pointer + ptr(key);
        keyOffsets.set(childPtr, keyPos);
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          const lc = lineCol(keyPos);
          throw new ConfigError('ERR_CONFIG_JSON', file, childPtr, `duplicate key "${key}"`, lc.line, lc.column);
        }
        ws();
        if (text[i] !== ':') fail(i, `expected ':' after a property name, found ${describe(i)}`);
        i++;
        const v = parseValue(childPtr);
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail(i, `expected ',' or '}', found ${describe(i)}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(parseValue(`${pointer}/${arr.length}`));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail(i, `expected ',' or ']', found ${describe(i)}`);
      }
    }
    if (c === '"') return parseString();
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (m !== null && m[0] !== '' && m[0] !== '-') { i += m[0].length; return Number(m[0]); }
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(lit, i)) { i += lit.length; return v; }
    }
    return fail(i, `unexpected ${describe(i)}, expected a value`);
  };

  const value = parseValue('');
  ws();
  if (i < n) fail(i, `unexpected ${describe(i)} after the end of the document`);
  return {
    value,
    locate(pointer: string, key?: boolean) {
      const k = key ? keyOffsets.get(pointer) : undefined;
      if (k !== undefined) return lineCol(k);
      let p = pointer;
      for (;;) {
        const off = offsets.get(p);
        if (off !== undefined) return lineCol(off);
        if (p === '') return undefined;
        p = p.slice(0, p.lastIndexOf('/'));
      }
    },
  };
}

/** A helper that raises located ConfigErrors for one parsed document. */
export class ConfigContext {
  readonly file: string;
  readonly doc: Located;
  constructor(file: string, doc: Located) {
    this.file = file;
    this.doc = doc;
  }
  error(code: string, pointer: string, message: string, atKey = false): ConfigError {
    const lc = this.doc.locate(pointer, atKey);
    return new ConfigError(code, this.file, pointer, message, lc?.line, lc?.column);
  }
}

/** Describe a JSON value's type for messages ("a string", "an array", ...). */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}
