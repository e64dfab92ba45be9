/* cf_hash: SHA-256 (OpenSSL EVP) for evidence and signing. Hex output is lowercase, 64 chars + NUL.
 */
#ifndef CF_HASH_H
#define CF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CF_SHA256_LEN     32
#define CF_SHA256_HEX_LEN 65

typedef struct cf_sha256 {
    void *ctx; /* EVP_MD_CTX */
} cf_sha256;

int cf_sha256_init(cf_sha256 *h);
int cf_sha256_update(cf_sha256 *h, const void *data, size_t len);
/* Writes the digest and releases the context. */
int cf_sha256_final(cf_sha256 *h, uint8_t out[CF_SHA256_LEN]);
void cf_sha256_release(cf_sha256 *h); /* safe after final, or to abandon */

void cf_sha256_buf(const void *data, size_t len, uint8_t out[CF_SHA256_LEN]);
void cf_sha256_hex(const void *data, size_t len, char out[CF_SHA256_HEX_LEN]);
/* Hashes a whole file; *bytes_out (may be NULL) gets its size. */
int cf_sha256_file(const char *path, char hex[CF_SHA256_HEX_LEN], uint64_t *bytes_out);
void cf_hex_encode(const uint8_t *data, size_t len, char *out /* 2*len+1 */);
void cf_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    uint8_t out[CF_SHA256_LEN]);

#endif
