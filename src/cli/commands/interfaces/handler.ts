import { listInterfaces, type InterfaceListing } from '../../../capture/live-interfaces.js';
import { ExitCode } from '../../exit-codes.js';
import type { InterfacesArgs } from './command.js';

export function renderInterfacesText(l: InterfaceListing): string {
  const lines: string[] = [];
  const w = Math.max(4, ...l.interfaces.map((i) => i.name.length));
  for (const i of l.interfaces) {
    const parts = [i.name.padEnd(w)];
    if (i.flags.length > 0) parts.push(`[${i.flags.join(', ')}]`);
    const addrs = i.addresses.map((a) => a.address + (a.netmask !== null && a.netmask !== '' ? ` (mask ${a.netmask})` : '')).join(', ');
    if (addrs !== '') parts.push(addrs);
    if (i.description !== null) parts.push(`— ${i.description}`);
    const line = parts.join('  ');
    lines.push(line.trimEnd());
  }
  if (l.interfaces.length === 0) lines.push('(no capture interfaces found)');
  return lines.join('\n') + '\n';
}

export async function run(a: InterfacesArgs): Promise<number> {
  const l = listInterfaces();
  if (a.format === 'json') process.stdout.write(JSON.stringify(l, null, 2) + '\n');
  else {
    process.stdout.write(renderInterfacesText(l));
    for (const n of l.notes) process.stderr.write(`flowaudit: note: ${n}\n`);
  }
  return ExitCode.Ok;
}
