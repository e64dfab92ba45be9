/* EC2 instance identity through IMDSv2 (PUT a session token, then GET the identity document)
 * over a plain loopback/link-local HTTP/1.1 connection, bounded in time and size. */
#ifndef CFA_IMDS_H
#define CFA_IMDS_H

#include <stddef.h>

#include "cfa_json.h"

#define CFA_IMDS_DEFAULT "http://169.254.169.254"

/* Asks endpoint ("http://HOST[:PORT]", HOST an IPv4 literal or [IPv6]) for the identity
 * document within timeout_ms in total. On success appends "instance_id" and an
 * "instance_identity" object to jw (an open object) and copies the instance id into
 * instance_id (may be truncated to idlen-1). Returns 0, or -1 with a reason in err. */
int cfa_imds_identity(const char *endpoint, int timeout_ms, struct cfa_jw *jw, char *instance_id,
                      size_t idlen, char *err, size_t errlen);

#endif
