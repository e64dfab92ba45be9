#include "common/cf_hash.h"
#include "common/cf_error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <unistd.h>

int cf_sha256_init(cf_sha256 *h)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return cf_error_set(CF_ENOMEM, "EVP_MD_CTX_new failed");
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return cf_error_set(CF_ERR, "EVP_DigestInit_ex(sha256) failed");
    }
    h->ctx = ctx;
    return CF_OK;
}

int cf_sha256_update(cf_sha256 *h, const void *data, size_t len)
{
    if (EVP_DigestUpdate(h->ctx, data, len) != 1)
        return cf_error_set(CF_ERR, "EVP_DigestUpdate failed");
    return CF_OK;
}

int cf_sha256_final(cf_sha256 *h, uint8_t out[CF_SHA256_LEN])
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, out, &n) == 1;
    cf_sha256_release(h);
    return ok ? CF_OK : cf_error_set(CF_ERR, "EVP_DigestFinal_ex failed");
}

void cf_sha256_release(cf_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void cf_sha256_buf(const void *data, size_t len, uint8_t out[CF_SHA256_LEN])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void cf_hex_encode(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

void cf_sha256_hex(const void *data, size_t len, char out[CF_SHA256_HEX_LEN])
{
    uint8_t d[CF_SHA256_LEN];
    cf_sha256_buf(data, len, d);
    cf_hex_encode(d, sizeof(d), out);
}

int cf_sha256_file(const char *path, char hex[CF_SHA256_HEX_LEN], uint64_t *bytes_out)
{
    cf_sha256 h = {0};
    uint8_t d[CF_SHA256_LEN];
    static _Thread_local unsigned char chunk[1 << 16];
    uint64_t total = 0;
    int fd = -1, rc;
    ssize_t n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "open %s: %s", path,
                          strerror(errno));
        goto cleanup;
    }
    if ((rc = cf_sha256_init(&h)))
        goto cleanup;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = cf_error_set(CF_EIO, "read %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if ((rc = cf_sha256_update(&h, chunk, (size_t)n)))
            goto cleanup;
        total += (uint64_t)n;
    }
    if ((rc = cf_sha256_final(&h, d)))
        goto cleanup;
    cf_hex_encode(d, sizeof(d), hex);
    if (bytes_out)
        *bytes_out = total;
cleanup:
    cf_sha256_release(&h);
    if (fd >= 0)
        close(fd);
    return rc;
}

void cf_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    uint8_t out[CF_SHA256_LEN])
{
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &n);
}
