/* The trainer's own model: none. nf-langid-train links langid.c for its feature walk only, so
 * it builds even when worker/langid_model.c is missing or stale. */
#include "../../langid_model.h"

const nf_lid_model_t nf_lid_model = {0};
