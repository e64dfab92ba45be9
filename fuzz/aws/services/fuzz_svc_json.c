/* Fuzz target: the JSON response parsers (SSM, SQS, CloudTrail, EBS direct) on one untrusted
 * body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aws/cloudtrail.h"
#include "aws/ebs.h"
#include "aws/sqs.h"
#include "aws/ssm.h"
#include "common/cf_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_ssm_invocation *inv = NULL;
    cf_ssm_invocation_list *il = calloc(1, sizeof(*il));
    cf_ssm_instance_info_list *ii = calloc(1, sizeof(*ii));
    cf_cloudtrail_event_list *ev = calloc(1, sizeof(*ev));
    cf_ebs_block_list *bl = calloc(1, sizeof(*bl));
    cf_sqs_message_list *ml = calloc(1, sizeof(*ml));
    const char *next = NULL;
    json_t *j = NULL;

    if (cf_json_parse((const char *)data, size, &j) == 0 && il && ii && ev && bl && ml) {
        (void)cf_ssm_parse_invocation(&inv, j);
        (void)cf_ssm_parse_invocations(il, j);
        (void)cf_ssm_parse_instance_information(ii, j);
        (void)cf_cloudtrail_parse_events(ev, j);
        (void)cf_ebs_parse_blocks(bl, j, &next);
        (void)cf_sqs_parse_messages(ml, j);
    }
    json_decref(j);
    cf_ssm_invocation_free(inv);
    cf_ssm_invocation_list_free(il);
    cf_ssm_instance_info_list_free(ii);
    cf_cloudtrail_event_list_free(ev);
    cf_ebs_block_list_free(bl);
    cf_sqs_message_list_free(ml);
    return 0;
}
