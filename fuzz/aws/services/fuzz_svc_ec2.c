/* Fuzz target: every EC2 response parser (ec2.h) on one untrusted XML body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aws/ec2.h"

#define RUN(type, parse, freefn)                                                                   \
    do {                                                                                           \
        type *l = calloc(1, sizeof(*l));                                                           \
        if (l)                                                                                     \
            (void)parse(l, doc);                                                                   \
        freefn(l);                                                                                 \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDoc *doc = NULL;

    if (cf_xml_parse((const char *)data, size, &doc) != 0)
        return 0;
    RUN(cf_ec2_instance_list, cf_ec2_parse_instances, cf_ec2_instance_list_free);
    RUN(cf_ec2_eni_list, cf_ec2_parse_network_interfaces, cf_ec2_eni_list_free);
    RUN(cf_ec2_subnet_list, cf_ec2_parse_subnets, cf_ec2_subnet_list_free);
    RUN(cf_ec2_vpc_list, cf_ec2_parse_vpcs, cf_ec2_vpc_list_free);
    RUN(cf_ec2_acl_list, cf_ec2_parse_network_acls, cf_ec2_acl_list_free);
    RUN(cf_ec2_sg_list, cf_ec2_parse_security_groups, cf_ec2_sg_list_free);
    RUN(cf_ec2_volume_list, cf_ec2_parse_volumes, cf_ec2_volume_list_free);
    RUN(cf_ec2_snapshot_list, cf_ec2_parse_snapshots, cf_ec2_snapshot_list_free);
    RUN(cf_ec2_profile_assoc_list, cf_ec2_parse_profile_assocs, cf_ec2_profile_assoc_list_free);
    RUN(cf_ec2_address_list, cf_ec2_parse_addresses, cf_ec2_address_list_free);
    xmlFreeDoc(doc);
    return 0;
}
