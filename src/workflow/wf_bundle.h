/* wf_bundle: unpacking and verifying an evidence bundle (docs/contracts.md) fetched from S3.
 * Workflow-internal. The tar and the manifest come from a compromised host: every size is
 * bounded, member names are checked (relative, no "..", regular files and directories only). */
#ifndef WF_BUNDLE_H
#define WF_BUNDLE_H

#include <stdint.h>

#include "case/cf_case.h"

#define WF_BUNDLE_MAX_MEMBERS 100000

/* Extracts the ustar archive tar_path into dir (created). max_total bounds the bytes written. */
int wf_tar_extract(const char *tar_path, const char *dir, uint64_t max_total);
/* Verifies every manifest files[] entry of the bundle extracted in dir against its sha256 and
 * bytes, recording each in the case's evidence table (bundle = bundle_name, kind, s3_uri_prefix +
 * path). CF_EINTEGRITY when any file is missing or differs (all are still checked and recorded);
 * *n_files_out gets the number checked. */
int wf_bundle_verify(cf_case *cs, const char *dir, const char *bundle_name, const char *kind,
                     const char *s3_uri_prefix, int *n_files_out);

#endif
