/**
 * Stream the items of one array in a (possibly large) JSON file: the top-level array, or the
 * array under a top-level key. Each item is assembled alone (stream-json's tokenizer + Assembler),
 * so memory is bounded by the largest item, not the file. Errors are ConfigErrors located by the
 * file and the JSON pointer of the item being read.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { jsonParser } from 'stream-json/core/parser.js';
import type { Token } from 'stream-json/core/parser.js';
import { Assembler } from 'stream-json/core/assembler.js';
import { ConfigError } from '../../core/errors.js';

const NONE = Symbol.for('object-stream.none');

/**
 * Call onItem(value, index) for each item of the array at `arrayKey` (null = the document itself
 * is the array). `what` describes the expected document for error messages.
 */
export async function forEachArrayItem(
  file: string,
  arrayKey: string | null,
  what: string,
  onItem: (v: unknown, index: number) => void,
): Promise<void> {
  const tok = jsonParser({ streamValues: false }) as unknown as (x: string | symbol) => { values?: Token[] } | symbol;
  const targetDepth = arrayKey === null ? 1 : 2;
  let depth = 0;
  let key: string | null = null;
  let inTarget = false;
  let found = false;
  let index = 0;
  let asm: Assembler | null = null;
  let topChecked = false;
  const pointer = () => (arrayKey === null ? '' : '/' + arrayKey) + `/${index}`;
  const bad = (msg: string): never => { throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', file, found ? pointer() : '', msg); };

  const emitIfDone = (): void => {
    if (asm !== null && asm.done) { onItem(asm.current, index++); asm = null; }
  };
  const onToken = (t: Token): void => {
    if (!topChecked) {
      topChecked = true;
      if (arrayKey === null && t.name !== 'startArray') bad(`expected ${what} (a JSON array) at the top level`);
      if (arrayKey !== null && t.name !== 'startObject') bad(`expected ${what} (a JSON object with "${arrayKey}")`);
    }
    if (asm !== null) { asm.consume(t); track(t); emitIfDone(); return; }
    if (inTarget && depth === targetDepth) {
      if (t.name === 'endArray') { inTarget = false; track(t); return; }
      asm = new Assembler();
      asm.consume(t); track(t); emitIfDone();
      return;
    }
    if (arrayKey === null) {
      if (depth === 0 && t.name === 'startArray') { inTarget = true; found = true; }
    } else if (depth === 1) {
      if (t.name === 'keyValue') key = t.value;
      else {
        if (key === arrayKey) {
          if (t.name !== 'startArray') bad(`"${arrayKey}" must be an array`);
          inTarget = true; found = true;
        }
        key = null;
      }
    }
    track(t);
  };
  const track = (t: Token): void => {
    if (t.name === 'startObject' || t.name === 'startArray') depth++;
    else if (t.name === 'endObject' || t.name === 'endArray') depth--;
  };
  const feed = (s: string): void => {
    const out = tok(s);
    if (typeof out === 'symbol') return;
    if (out.values === undefined) { onToken(out as unknown as Token); return; }
    for (const t of out.values) onToken(t);
  };

  const dec = new StringDecoder('utf8');
  let first = true;
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let s = dec.write(chunk);
      bytes += chunk.length;
      if (first && s.length > 0) { if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); first = false; }
      if (s.length > 0) feed(s);
    }
    const rest = dec.end();
    if (rest.length > 0) feed(rest);
    const out = tok(NONE);
    if (typeof out !== 'symbol' && out.values !== undefined) for (const t of out.values) onToken(t);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string') throw new ConfigError('ERR_CONFIG_SOURCE_READ', file, '', `cannot read: ${err.message}`);
    throw new ConfigError('ERR_CONFIG_SOURCE_JSON', file, found ? pointer() : '', `invalid JSON near byte ${bytes} (${err.message})`);
  }
  if (!topChecked) bad(`expected ${what}, found an empty file`);
  if (!found) bad(`expected ${what}: no "${arrayKey}" array`);
}
