/*
 * floor.c — minimal C reference for the benchmark ("what a tight native loop costs").
 * libpcap pcap_next_ex read; Ethernet with up to 2 VLAN tags; IPv4 (ports skipped on non-first
 * fragments); IPv6 with extension headers; TCP/UDP. Bidirectional 5-tuple open-addressing table
 * (canonical key + per-direction packets/bytes, first/last timestamp, OR of TCP flags).
 * Prints "packets N flows N" on stdout.
 * The file is opened here and given to libpcap (pcap_fopen_offline) with a 4 MiB stdio buffer on a
 * page: with libpcap's own (stdio's default, 4 KiB malloc'd) the kernel's copy of each read landed
 * out of step with the file's pages, which on the bench machine (AMD EPYC, KVM) ran 4-5x slower
 * and cost this program about 0.3 s of its 2 s (see src/capture/page-buffers.ts). Build with
 * -DFLOOR_STDIO_DEFAULT for libpcap's own buffer (pcap_open_offline), as the libpcap-based peers read.
 * Build: gcc -O2 -o floor bench/native/floor.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint32_t a[4], b[4];
  uint16_t pa, pb;
  uint8_t proto, used;
  uint8_t flags[2];
  uint64_t pkts[2], bytes[2];
  double first, last;
} slot_t;

static slot_t *tab;
static size_t cap = 1 << 16, count = 0;

static inline uint64_t hash_key(const uint32_t *a, const uint32_t *b, uint16_t pa, uint16_t pb, uint8_t proto) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ proto;
  for (int i = 0; i < 4; i++) { h = (h ^ a[i]) * 0x100000001b3ULL; h = (h ^ b[i]) * 0x100000001b3ULL; }
  h = (h ^ (((uint32_t)pa << 16) | pb)) * 0x100000001b3ULL;
  h ^= h >> 29; h *= 0xbf58476d1ce4e5b9ULL; h ^= h >> 32;
  return h;
}

static void grow(void) {
  size_t ncap = cap * 2;
  slot_t *n = calloc(ncap, sizeof(slot_t));
  if (!n) { perror("calloc"); exit(1); }
  for (size_t i = 0; i < cap; i++) {
    if (!tab[i].used) continue;
    size_t j = hash_key(tab[i].a, tab[i].b, tab[i].pa, tab[i].pb, tab[i].proto) & (ncap - 1);
    while (n[j].used) j = (j + 1) & (ncap - 1);
    n[j] = tab[i];
  }
  free(tab);
  tab = n;
  cap = ncap;
}

static int cmp_side(const uint32_t *x, uint16_t px, const uint32_t *y, uint16_t py) {
  for (int i = 0; i < 4; i++) if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return px < py ? -1 : px > py ? 1 : 0;
}

static void account(uint32_t *s, uint32_t *d, uint16_t sp, uint16_t dp, uint8_t proto, uint8_t flags, uint32_t len, double ts) {
  int flip = cmp_side(s, sp, d, dp) > 0;
  uint32_t *a = flip ? d : s, *b = flip ? s : d;
  uint16_t pa = flip ? dp : sp, pb = flip ? sp : dp;
  if ((count + 1) * 2 > cap) grow();
  size_t j = hash_key(a, b, pa, pb, proto) & (cap - 1);
  for (;;) {
    slot_t *e = &tab[j];
    if (!e->used) {
      memcpy(e->a, a, 16); memcpy(e->b, b, 16);
      e->pa = pa; e->pb = pb; e->proto = proto; e->used = 1; e->first = ts;
      count++;
      break;
    }
    if (e->proto == proto && e->pa == pa && e->pb == pb && !memcmp(e->a, a, 16) && !memcmp(e->b, b, 16)) break;
    j = (j + 1) & (cap - 1);
  }
  slot_t *e = &tab[j];
  e->pkts[flip]++; e->bytes[flip] += len; e->flags[flip] |= flags; e->last = ts;
}

static inline uint16_t be16(const u_char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const u_char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: floor FILE\n"); return 2; }
  char err[PCAP_ERRBUF_SIZE];
#ifdef FLOOR_STDIO_DEFAULT
  pcap_t *p = pcap_open_offline(argv[1], err);
#else
  FILE *fp = fopen(argv[1], "rb");
  if (!fp) { perror(argv[1]); return 1; }
  char *vbuf = aligned_alloc(4096, 4 << 20);
  if (!vbuf || setvbuf(fp, vbuf, _IOFBF, 4 << 20) != 0) { fprintf(stderr, "floor: no read buffer\n"); return 1; }
  pcap_t *p = pcap_fopen_offline(fp, err);
#endif
  if (!p) { fprintf(stderr, "floor: %s\n", err); return 1; }
  tab = calloc(cap, sizeof(slot_t));
  struct pcap_pkthdr *h;
  const u_char *d;
  uint64_t packets = 0, other = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    packets++;
    uint32_t n = h->caplen, off = 12;
    if (n < 14) { other++; continue; }
    uint16_t et = be16(d + off);
    for (int v = 0; v < 2 && (et == 0x8100 || et == 0x88a8) && off + 6 <= n; v++) { off += 4; et = be16(d + off); }
    off += 2;
    uint32_t s[4] = {0, 0, 0xffff, 0}, t[4] = {0, 0, 0xffff, 0};
    uint8_t proto;
    int ports = 1;
    if (et == 0x0800) {
      if (off + 20 > n) { other++; continue; }
      uint32_t ihl = (d[off] & 15) * 4;
      proto = d[off + 9];
      if ((be16(d + off + 6) & 0x1fff) != 0) ports = 0;
      s[3] = be32(d + off + 12); t[3] = be32(d + off + 16);
      off += ihl;
    } else if (et == 0x86dd) {
      if (off + 40 > n) { other++; continue; }
      proto = d[off + 6];
      for (int i = 0; i < 4; i++) { s[i] = be32(d + off + 8 + 4 * i); t[i] = be32(d + off + 24 + 4 * i); }
      off += 40;
      while ((proto == 0 || proto == 43 || proto == 60 || proto == 44) && off + 8 <= n) {
        if (proto == 44) { if (be16(d + off + 2) & 0xfff8) ports = 0; proto = d[off]; off += 8; }
        else { uint8_t nh = d[off]; off += (d[off + 1] + 1) * 8; proto = nh; }
      }
    } else { other++; continue; }
    uint16_t sp = 0, dp = 0;
    uint8_t flags = 0;
    if ((proto == 6 || proto == 17) && ports && off + 4 <= n) {
      sp = be16(d + off); dp = be16(d + off + 2);
      if (proto == 6 && off + 14 <= n) flags = d[off + 13];
    }
    account(s, t, sp, dp, proto, flags, h->len, h->ts.tv_sec + h->ts.tv_usec * 1e-6);
  }
  if (rc == -1) { fprintf(stderr, "floor: %s\n", pcap_geterr(p)); return 1; }
  /* classify every flow by the responder's port (the work a port auditor does at the end) */
  uint64_t wellknown = 0;
  for (size_t i = 0; i < cap; i++) if (tab[i].used && (tab[i].pa < 1024 || tab[i].pb < 1024)) wellknown++;
  printf("packets %llu flows %zu non-ip %llu well-known %llu\n", (unsigned long long)packets, count, (unsigned long long)other, (unsigned long long)wellknown);
  pcap_close(p);
  return 0;
}
