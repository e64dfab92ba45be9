/* cf_ini: the AWS shared config/credentials file format (untrusted input, bounded).
 *
 * Sections "[name]", "key = value" lines, "#"/";" comment lines, and the indented sub-properties
 * of a key with an empty value ("s3 =\n  endpoint_url = ..."). Keys compare case-insensitively,
 * section names exactly (after trimming). Limits: CF_INI_MAX_BYTES input, CF_INI_MAX_LINE per line,
 * CF_INI_MAX_ENTRIES entries; past them parsing fails with CF_ETOOBIG. */
#ifndef CF_INI_H
#define CF_INI_H

#include <stddef.h>

#define CF_INI_MAX_BYTES   (1u << 20)
#define CF_INI_MAX_LINE    8192
#define CF_INI_MAX_ENTRIES 10000

typedef struct cf_ini cf_ini;

/* Parses len bytes. *out owned by the caller (cf_ini_free). CF_EPARSE names the bad line. */
int cf_ini_parse(const char *data, size_t len, cf_ini **out);
/* Reads and parses a file; a missing file gives an empty cf_ini (not an error). */
int cf_ini_load(const char *path, cf_ini **out);
void cf_ini_free(cf_ini *ini);
/* Value of key in section (NULL when absent). Borrowed. */
const char *cf_ini_get(const cf_ini *ini, const char *section, const char *key);
/* Value of a sub-property: [section] key = / sub = value. */
const char *cf_ini_get_sub(const cf_ini *ini, const char *section, const char *key,
                           const char *sub);
/* 1 when the section exists. */
int cf_ini_has_section(const cf_ini *ini, const char *section);

#endif
