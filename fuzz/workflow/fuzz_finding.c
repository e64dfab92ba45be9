/* Fuzz target: cf_finding_parse on arbitrary bytes (every event shape), then the case id. */
#include <stddef.h>
#include <stdint.h>

#include "workflow/cf_finding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_finding f;
    if (cf_finding_parse(&f, (const char *)data, size) == 0) {
        char id[CF_CASE_ID_MAX];
        cf_finding_case_id(&f, id);
        if (!cf_case_id_valid(id))
            __builtin_trap(); /* a derived case id must always be a safe path component */
    }
    cf_finding_release(&f);
    return 0;
}
