/* ebs: EBS direct APIs to read a snapshot's blocks (protocol "rest-json").
 * Conventions as in ec2.h. */
#ifndef CF_AWS_EBS_H
#define CF_AWS_EBS_H

#include <stddef.h>
#include <stdint.h>

#include "common/cf_buf.h"
#include "aws/cf_aws.h"

#define CF_EBS_MAX_BLOCKS (16u << 20)  /* 64 TiB of 512 KiB blocks */
#define CF_EBS_BLOCK_MAX  (512u << 10) /* the only block size EBS uses today */

typedef struct cf_ebs_block {
    int64_t index;
    char *token;
} cf_ebs_block;

typedef struct cf_ebs_block_list {
    cf_ebs_block *items; /* written blocks only, in the order AWS listed them */
    size_t n;
    int64_t volume_size_gib; /* -1 when absent */
    int64_t block_size;      /* bytes; -1 when absent */
} cf_ebs_block_list;

void cf_ebs_block_list_free(cf_ebs_block_list *l);

/* ListSnapshotBlocks, every page (nextToken). */
int cf_ebs_list_snapshot_blocks(cf_ebs_block_list **out, cf_aws *aws, const char *snapshot_id);

/* GetSnapshotBlock: appends the block's bytes to *data (which bounds them). The SHA-256 checksum
 * AWS sends (x-amz-Checksum, base64) is verified: a mismatch is CF_EINTEGRITY, and so is a length
 * that differs from x-amz-Data-Length. */
int cf_ebs_get_snapshot_block(cf_buf *data, cf_aws *aws, const char *snapshot_id, int64_t index,
                              const char *token);

/* Parses one ListSnapshotBlocks body (public for tests and fuzzing). */
int cf_ebs_parse_blocks(cf_ebs_block_list *l, json_t *body, const char **next_token);

#endif
