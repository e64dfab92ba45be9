/* sqs: the SQS calls casefile makes (protocol "json", AmazonSQS 1.0). Conventions as in ec2.h. */
#ifndef CF_AWS_SQS_H
#define CF_AWS_SQS_H

#include <stddef.h>
#include <stdint.h>

#include "aws/cf_aws.h"

typedef struct cf_sqs_message {
    char *id;
    char *receipt_handle;
    char *body; /* untrusted; MD5OfBody was checked when AWS sent it */
    size_t body_len;
    int receive_count;         /* ApproximateReceiveCount; -1 when absent */
    int64_t sent_timestamp_ms; /* SentTimestamp; -1 when absent */
} cf_sqs_message;

typedef struct cf_sqs_message_list {
    cf_sqs_message *items;
    size_t n;
} cf_sqs_message_list;

void cf_sqs_message_list_free(cf_sqs_message_list *l);

/* *url_out: the queue URL (caller frees). */
int cf_sqs_get_queue_url(char **url_out, cf_aws *aws, const char *queue_name);
/* *message_id_out may be NULL. */
int cf_sqs_send_message(char **message_id_out, cf_aws *aws, const char *queue_url,
                        const char *body);
/* ReceiveMessage: at most max_messages (1..10); wait_s long-poll seconds (0..20);
 * visibility_timeout_s when >= 0. A message whose body does not match its MD5OfBody fails the
 * call with CF_EINTEGRITY. */
int cf_sqs_receive_message(cf_sqs_message_list **out, cf_aws *aws, const char *queue_url,
                           int max_messages, int wait_s, int visibility_timeout_s);
int cf_sqs_delete_message(cf_aws *aws, const char *queue_url, const char *receipt_handle);
int cf_sqs_change_message_visibility(cf_aws *aws, const char *queue_url, const char *receipt_handle,
                                     int visibility_timeout_s);

/* Parses one ReceiveMessage body (public for tests and fuzzing). */
int cf_sqs_parse_messages(cf_sqs_message_list *l, json_t *body);

#endif
