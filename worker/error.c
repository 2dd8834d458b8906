#include "newsflow/error.h"

const char *nf_err_name(nf_err_t err)
{
    switch (err) {
#define NF_ERR_NAME(name, text)                                                                    \
    case NF_ERR_##name:                                                                            \
        return "NF_ERR_" #name;
        NF_ERRORS(NF_ERR_NAME)
#undef NF_ERR_NAME
    }
    return "NF_ERR_UNKNOWN";
}

const char *nf_err_str(nf_err_t err)
{
    switch (err) {
#define NF_ERR_TEXT(name, text)                                                                    \
    case NF_ERR_##name:                                                                            \
        return text;
        NF_ERRORS(NF_ERR_TEXT)
#undef NF_ERR_TEXT
    }
    return "unknown error";
}
