/* Fuzz target: the query-protocol response parsers (IAM, ELBv2, Auto Scaling) on one untrusted
 * XML body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aws/autoscaling.h"
#include "aws/elbv2.h"
#include "aws/iam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_iam_instance_profile *ip = NULL;
    cf_elbv2_tg_list *tg = calloc(1, sizeof(*tg));
    cf_elbv2_health_list *th = calloc(1, sizeof(*th));
    cf_asg_instance_list *ai = calloc(1, sizeof(*ai));
    cf_asg_activity_list *act = calloc(1, sizeof(*act));
    xmlDoc *doc = NULL;

    if (cf_xml_parse((const char *)data, size, &doc) == 0 && tg && th && ai && act) {
        (void)cf_iam_parse_instance_profile(&ip, doc);
        (void)cf_elbv2_parse_target_groups(tg, doc);
        (void)cf_elbv2_parse_target_health(th, doc);
        (void)cf_asg_parse_instances(ai, doc);
        (void)cf_asg_parse_activities(act, doc, "EnterStandbyResult");
        (void)cf_asg_parse_activities(act, doc, "DetachInstancesResult");
    }
    xmlFreeDoc(doc);
    cf_iam_instance_profile_free(ip);
    cf_elbv2_tg_list_free(tg);
    cf_elbv2_health_list_free(th);
    cf_asg_instance_list_free(ai);
    cf_asg_activity_list_free(act);
    return 0;
}
