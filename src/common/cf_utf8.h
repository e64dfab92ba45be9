/* cf_utf8: strict UTF-8 checks for untrusted text (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). One implementation for every part that stores or shows such text. */
#ifndef CF_UTF8_H
#define CF_UTF8_H

#include <stddef.h>

#include "common/cf_buf.h"

/* Length (1..4) of the valid UTF-8 sequence at s, which has n >= 1 bytes; 0 when invalid.
 * A NUL byte is a valid 1-byte sequence here; callers that must keep NUL out check for it. */
size_t cf_utf8_seq(const unsigned char *s, size_t n);
/* 1 when s[0..len) is valid UTF-8 without NUL bytes, else 0. */
int cf_utf8_valid(const char *s, size_t len);
/* Appends s[0..len) to out with every invalid byte and every NUL replaced by U+FFFD.
 * CF_ETOOBIG when out's limit is reached (out keeps what fitted). */
int cf_utf8_lossy(cf_buf *out, const char *s, size_t len);

#endif
