/**
 * Errors a live capture can end with. Each says what to do about it; none carries a stack trace
 * to the user (they are FlowauditErrors, exit code 2).
 */
import { FlowauditError } from '../core/errors.js';

export const LiveErrorCode = {
  NoInterface: 'ERR_LIVE_NO_INTERFACE',
  Permission: 'ERR_LIVE_PERMISSION',
  Filter: 'ERR_LIVE_FILTER',
  NoTcpdump: 'ERR_LIVE_NO_TCPDUMP',
  NoCap: 'ERR_LIVE_NO_CAP',
  Open: 'ERR_LIVE_OPEN',
  Engine: 'ERR_LIVE_ENGINE',
  Write: 'ERR_LIVE_WRITE',
} as const;
export type LiveErrorCode = (typeof LiveErrorCode)[keyof typeof LiveErrorCode];

export class LiveCaptureError extends FlowauditError {
  readonly iface: string;
  constructor(code: LiveErrorCode, iface: string, message: string) {
    super(code, message);
    this.iface = iface;
  }
}

/** The advice printed with every permission error. */
export const PERMISSION_HINT =
  'run as root, or grant the capabilities cap_net_raw,cap_net_admin to the node binary, e.g. ' +
  '`sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))` ' +
  '(for --engine tcpdump: to tcpdump, or run tcpdump as root)';

/** The advice printed when the optional `cap` addon cannot be loaded. */
export const CAP_HINT =
  'the in-process capture engine needs the optional native package `cap`, which builds only where the libpcap headers are installed: ' +
  '`apt-get install libpcap-dev` (Debian/Ubuntu; `dnf install libpcap-devel` on Fedora/RHEL), then reinstall it with `npm install cap` ' +
  '(or `npm ci` in a checkout). Alternatively use `--engine tcpdump`';

/** Classify a libpcap error message (as cap throws it or tcpdump prints it) into a LiveErrorCode. */
export function classifyPcapError(msg: string): LiveErrorCode {
  const m = msg.toLowerCase();
  if (/no such device|doesn't exist|does not exist|no such interface|siocgifhwaddr/.test(m)) return LiveErrorCode.NoInterface;
  if (/permission|not permitted|operation not permitted|eperm|eacces/.test(m)) return LiveErrorCode.Permission;
  if (/filter|syntax error|parse|illegal|unknown host|bpf/.test(m)) return LiveErrorCode.Filter;
  return LiveErrorCode.Open;
}

/**
 * Build the user-facing error for a libpcap message. `interfaces` lists the names there are
 * (for the no-such-interface case).
 */
export function pcapOpenError(msg: string, iface: string, filter: string, interfaces: readonly string[] | null): LiveCaptureError {
  const code = classifyPcapError(msg);
  const clean = msg.trim().replace(/\s+/g, ' ');
  switch (code) {
    case LiveErrorCode.NoInterface:
      return new LiveCaptureError(code, iface, `no such interface: ${iface} (${clean})` +
        (interfaces !== null && interfaces.length > 0 ? `; interfaces here: ${interfaces.join(', ')}` : '') +
        ' (see `flowaudit interfaces`)');
    case LiveErrorCode.Permission:
      return new LiveCaptureError(code, iface, `no permission to capture on ${iface} (${clean}): ${PERMISSION_HINT}`);
    case LiveErrorCode.Filter:
      return new LiveCaptureError(code, iface, `bad capture filter ${JSON.stringify(filter)}: ${clean}`);
    default:
      return new LiveCaptureError(code, iface, `cannot capture on ${iface}: ${clean}`);
  }
}
