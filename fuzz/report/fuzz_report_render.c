/* Fuzz target: the renderers given an arbitrary model (the report's JSON, mutated). Whatever the
 * model holds, the HTML must contain no element the report does not write itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_json.h"
#include "report/cf_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *m = NULL;
    cf_buf b = CF_BUF_INIT(64u << 20);
    if (size > (1u << 20) || cf_json_parse((const char *)data, size, &m) != 0)
        return 0;
    for (int summary = 0; summary <= 1; summary++) {
        if (cf_report_render_html(m, summary, &b) == 0 &&
            (strstr(cf_buf_cstr(&b), "<script") || strstr(cf_buf_cstr(&b), "<img") ||
             strstr(cf_buf_cstr(&b), "<iframe") || strstr(cf_buf_cstr(&b), "href=\"javascript:") ||
             strstr(cf_buf_cstr(&b), "href=\"http://")))
            abort();
        cf_buf_reset(&b);
        (void)cf_report_render_md(m, summary, &b);
        cf_buf_reset(&b);
    }
    (void)cf_report_render_json(m, &b);
    cf_buf_release(&b);
    json_decref(m);
    return 0;
}
