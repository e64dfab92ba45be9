/* ses: SES v2 SendEmail (protocol "rest-json", POST /v2/email/outbound-emails).
 * Conventions as in ec2.h. */
#ifndef CF_AWS_SES_H
#define CF_AWS_SES_H

#include <stddef.h>

#include "aws/cf_aws.h"

#define CF_SES_MAX_RAW (10u << 20) /* SES v2 limit for a raw message: 10 MiB before encoding */

typedef struct cf_ses_email {
    const char *from; /* required; must be a verified identity (moto checks this too) */
    const char *const *to;
    size_t n_to;
    const char *const *cc;
    size_t n_cc;
    const char *const *reply_to;
    size_t n_reply_to;
    const char *subject; /* required */
    const char *text;    /* at least one of text / html */
    const char *html;
    const char *configuration_set; /* NULL: none */
} cf_ses_email;

/* Simple content. *message_id_out (may be NULL) gets SES's MessageId. */
int cf_ses_send_email(char **message_id_out, cf_aws *aws, const cf_ses_email *email);

/* Raw MIME message (headers and body as the recipients will see them); from and to may be NULL
 * to let SES take them from the message headers. */
int cf_ses_send_raw_email(char **message_id_out, cf_aws *aws, const char *from,
                          const char *const *to, size_t n_to, const void *mime, size_t len);

/* The request id of this thread's last SendEmail (answered or refused by AWS; "" when it failed
 * before sending), for journals that record the request id of every change. */
const char *cf_ses_last_request_id(void);

#endif
