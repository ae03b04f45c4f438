/**
 * Run by test/capture/stdin.test.ts in a child process (so that its standard input can be a file,
 * a shell pipe or a socket): reads the capture at argv[2] (`-` for stdin) into a flow engine as
 * gatherEvidence does (the table lending read buffers, the engine as record sink) and prints what
 * came out: packets, how many the core took in batches, the flows (a SHA-1 of their JSON) and the
 * capture info.
 */
import { createHash } from 'node:crypto';
import { readCaptures } from '../../src/capture/read.js';
import { DEFAULT_CHUNK_SIZE } from '../../src/capture/info.js';
import { chunkArena } from '../../src/cli/gather.js';
import { FlowEngine } from '../../src/flow/engine.js';

const input = process.argv[2] ?? '-';
const flows: string[] = [];
const engine = new FlowEngine({ onFlow: (f) => { flows.push(JSON.stringify(f)); }, chunkArena: chunkArena(1, DEFAULT_CHUNK_SIZE) });
engine.addSource(0, 'capture', 'pcap'); // one name whatever the input, so that flows compare
const [info] = await readCaptures([input], { chunkAlloc: (n) => engine.table.arenaChunk(n), recordSink: engine }, (r) => engine.packet(r));
engine.flush();
const { file: _file, ...rest } = info!;
process.stdout.write(JSON.stringify({
  packets: engine.packets, batched: engine.batchedPackets, flowCount: flows.length,
  flows: createHash('sha1').update(flows.join('\n')).digest('hex'), info: rest,
}));
