/**
 * Where the benchmark finds the peers that are npm packages but not flowaudit dependencies: npm
 * `pcap` (node_pcap) in the project's node_modules or in bench/data/peers, where
 * `npm run bench -- --install-peers` builds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Peers installed on request (--install-peers), kept out of the project's dependencies. */
export const PEERS = path.join(ROOT, 'bench/data/peers');
export const NODE_PCAP_VERSION = '3.1.0';

/** The folder whose node_modules holds a built npm pcap (node_pcap); null when neither has one. */
export function findNodePcap(): string | null {
  for (const dir of [ROOT, PEERS]) if (fs.existsSync(path.join(dir, 'node_modules/pcap/build/Release/pcap_binding.node'))) return dir;
  return null;
}

/** How bench/run.ts compiles the WebAssembly floor (bench/native/wasm/floor.ts) with AssemblyScript's asc. */
export const WASM_FLOOR_FLAGS: readonly string[] = ['-O3', '--runtime', 'stub', '--noAssert'];
