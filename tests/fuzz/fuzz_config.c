/* libFuzzer target: the config file parser and the redaction of connection strings.
 * Invariants: never crash; a redacted conninfo never contains the input's password. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsflow/alloc.h"
#include "newsflow/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof(path), "/tmp/nf-fuzz-config.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char flag[80];
    snprintf(flag, sizeof(flag), "--config=%s", path);
    char *argv[] = {"run", flag, NULL};
    char *envp[] = {NULL};
    nf_config_t *cfg = nf_config_new();
    char err[512];
    if (cfg && nf_config_load(cfg, NF_CMD_RUN, 2, argv, envp, err, sizeof(err)) == NF_OK) {
        FILE *sink = fopen("/dev/null", "w");
        nf_config_print(cfg, NF_CMD_ALL, sink);
        fclose(sink);
    }
    nf_config_destroy(cfg);

    /* Redaction: "host=h password=SECRET <fuzz>" must not show SECRET. */
    char conn[300];
    int n = snprintf(conn, sizeof(conn), "host=h password=Zq7xK9 %.*s",
                     (int)(size > 200 ? 200 : size), (const char *)data);
    if (n > 0 && memchr(data, 0, size > 200 ? 200 : size) == NULL) {
        char *red = nf_config_redact_conninfo(conn);
        /* the fuzz bytes may spell the secret themselves: only our password must vanish */
        if (red && strstr(red, "Zq7xK9") && !strstr(conn + 23, "Zq7xK9"))
            abort();
        nf_free(red);
    }
    return 0;
}
