/**
 * Names of well-known services, for explanations only ("tcp/3389 (RDP)"). Ports that a Windows
 * domain member uses but the reference does not list are marked `plausible` (issue #71487 asked
 * for NTP 123, kpasswd 464 and GC-over-TLS 3269; none was added to the page).
 */
const TCP: Record<number, string> = {
  21: 'FTP', 22: 'SSH', 23: 'Telnet', 25: 'SMTP', 53: 'DNS', 80: 'HTTP', 88: 'Kerberos', 110: 'POP3', 135: 'MS-RPC endpoint mapper',
  139: 'NetBIOS session', 143: 'IMAP', 389: 'LDAP', 443: 'HTTPS', 445: 'SMB', 464: 'Kerberos password change',
  636: 'LDAPS', 1433: 'MS-SQL', 1434: 'MS-SQL browser', 3268: 'Global Catalog', 3269: 'Global Catalog over TLS',
  3306: 'MySQL', 3389: 'RDP', 5432: 'PostgreSQL', 5671: 'AMQP over TLS (Service Bus)', 5985: 'WinRM', 5986: 'WinRM over HTTPS',
  8080: 'HTTP alternate', 9389: 'AD Web Services', 49443: 'AD FS certificate authentication',
};
const UDP: Record<number, string> = {
  53: 'DNS', 67: 'DHCP', 68: 'DHCP', 69: 'TFTP', 88: 'Kerberos', 123: 'NTP', 137: 'NetBIOS name', 138: 'NetBIOS datagram',
  161: 'SNMP', 162: 'SNMP trap', 389: 'CLDAP', 443: 'QUIC', 464: 'Kerberos password change', 500: 'IKE', 514: 'syslog',
  1900: 'SSDP', 4500: 'IPsec NAT-T', 5353: 'mDNS', 5355: 'LLMNR',
};
const PLAUSIBLE: Record<string, true> = { 'udp/123': true, 'tcp/464': true, 'udp/464': true, 'tcp/3269': true };

/** "tcp/3389 (RDP)", or "tcp/50123" when the port has no well-known name. */
export function serviceText(proto: string, port: number): string {
  const name = proto === 'tcp' ? TCP[port] : proto === 'udp' ? UDP[port] : undefined;
  return name === undefined ? `${proto}/${port}` : `${proto}/${port} (${name})`;
}

/** Domain-member housekeeping the reference does not list. */
export function isPlausibleUnlisted(proto: string, port: number): boolean {
  return PLAUSIBLE[`${proto}/${port}`] === true;
}
