/**
 * Text from the evidence (DNS names, interface names, file names, reasons) may hold control
 * characters: show them escaped (`\x1b`, `\n`) so they can neither drive the terminal nor forge
 * report lines.
 */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n === 10 ? '\\n' : n === 13 ? '\\r' : n === 9 ? '\\t' : n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });
}
