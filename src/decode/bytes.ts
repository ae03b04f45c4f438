/**
 * Big-endian reads at absolute offsets. Callers check bounds first (each protocol's check());
 * these never allocate and are inlined by V8.
 */
export function u8(b: Buffer, o: number): number {
  return b[o]!;
}

export function u16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function u32le(b: Buffer, o: number): number {
  return ((b[o + 3]! << 24) | (b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!) >>> 0;
}

/** Write an IPv4 address as the mapped form [0, 0, 0xffff, v4] into words[0..4). */
export function putV4(words: Uint32Array, b: Buffer, o: number): void {
  words[0] = 0; words[1] = 0; words[2] = 0xffff; words[3] = u32(b, o);
}

/** Copy a 16-byte IPv6 address into words[0..4). */
export function putV6(words: Uint32Array, b: Buffer, o: number): void {
  words[0] = u32(b, o); words[1] = u32(b, o + 4); words[2] = u32(b, o + 8); words[3] = u32(b, o + 12);
}
