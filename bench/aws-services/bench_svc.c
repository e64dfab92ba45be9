/* Benchmark driver for the typed AWS calls (bench/aws-services/run).
 *   bench_svc parse FILE N       parse a DescribeInstances body N times; prints seconds per parse
 *   bench_svc triage INSTANCE N  N rounds of the triage describes against AWS_ENDPOINT_URL;
 *                                prints seconds per round
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "common/cf_time.h"

static int bench_parse(const char *path, int n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;
    int64_t t0;
    size_t items = 0;

    if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
        return 1;
    buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);
    t0 = cf_time_monotonic();
    for (int i = 0; i < n; i++) {
        xmlDoc *doc = NULL;
        cf_ec2_instance_list *l = calloc(1, sizeof(*l));
        if (!l || cf_xml_parse(buf, (size_t)len, &doc) || cf_ec2_parse_instances(l, doc)) {
            fprintf(stderr, "parse: %s\n", cf_error_last()->msg);
            return 1;
        }
        items = l->n;
        cf_ec2_instance_list_free(l);
        xmlFreeDoc(doc);
    }
    printf("%.6f %zu\n", (double)(cf_time_monotonic() - t0) / 1e9 / n, items);
    free(buf);
    return 0;
}

static int bench_triage(const char *instance, int n)
{
    cf_aws *aws = NULL;
    int64_t t0;

    if (cf_aws_new(&aws, NULL))
        return 1;
    t0 = cf_time_monotonic();
    for (int i = 0; i < n; i++) {
        const char *ids[] = {instance};
        cf_ec2_query q = {ids, 1, NULL, 0, 0};
        cf_ec2_instance_list *il = NULL;
        cf_ec2_subnet_list *sl = NULL;
        cf_ec2_vpc_list *vl = NULL;
        cf_ec2_acl_list *al = NULL;
        cf_ec2_sg_list *gl = NULL;
        cf_ec2_volume_list *vol = NULL;
        const char *sn[1], *vpc[1], *gid[1];
        cf_ec2_filter fa = {"association.subnet-id", sn, 1};
        cf_ec2_filter fv = {"attachment.instance-id", ids, 1};
        cf_ec2_query qs = {sn, 1, NULL, 0, 0}, qv = {vpc, 1, NULL, 0, 0};
        cf_ec2_query qa = {NULL, 0, &fa, 1, 0}, qg = {gid, 1, NULL, 0, 0};
        cf_ec2_query qvol = {NULL, 0, &fv, 1, 0};
        if (cf_ec2_describe_instances(&il, aws, &q) || il->n != 1)
            goto fail;
        sn[0] = il->items[0].subnet_id;
        vpc[0] = il->items[0].vpc_id;
        gid[0] = il->items[0].groups[0].id;
        if (cf_ec2_describe_subnets(&sl, aws, &qs) || cf_ec2_describe_vpcs(&vl, aws, &qv) ||
            cf_ec2_describe_network_acls(&al, aws, &qa) ||
            cf_ec2_describe_security_groups(&gl, aws, &qg) ||
            cf_ec2_describe_volumes(&vol, aws, &qvol))
            goto fail;
        cf_ec2_instance_list_free(il);
        cf_ec2_subnet_list_free(sl);
        cf_ec2_vpc_list_free(vl);
        cf_ec2_acl_list_free(al);
        cf_ec2_sg_list_free(gl);
        cf_ec2_volume_list_free(vol);
        continue;
    fail:
        fprintf(stderr, "triage: %s\n", cf_error_last()->msg);
        return 1;
    }
    printf("%.6f\n", (double)(cf_time_monotonic() - t0) / 1e9 / n);
    cf_aws_free(aws);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "parse") == 0)
        return bench_parse(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "triage") == 0)
        return bench_triage(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: bench_svc parse FILE N | triage INSTANCE N\n");
    return 2;
}
