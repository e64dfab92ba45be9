/* Self-contained SHA-256 (FIPS 180-4) for casefile-agent, which links nothing but libc. */
#ifndef CFA_SHA256_H
#define CFA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CFA_SHA256_LEN 32
#define CFA_SHA256_HEX 65 /* 64 hex digits + NUL */

struct cfa_sha256 {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t fill;
};

void cfa_sha256_init(struct cfa_sha256 *c);
void cfa_sha256_update(struct cfa_sha256 *c, const void *data, size_t len);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void cfa_sha256_final(struct cfa_sha256 *c, uint8_t out[CFA_SHA256_LEN]);
/* Hardware SHA-256 (x86 SHA extensions) is used when the CPU has it. enable = 0 forces the
 * portable code, 1 re-enables detection, -1 only asks. Returns whether it is in use. */
int cfa_sha256_accel(int enable);
/* Lower-case hex of a digest into hex (65 bytes, NUL-terminated). */
void cfa_sha256_hex(const uint8_t digest[CFA_SHA256_LEN], char hex[CFA_SHA256_HEX]);

#endif
