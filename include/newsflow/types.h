/**
 * @file types.h
 * @brief Small value types shared by modules that must not depend on each other.
 */
#ifndef NEWSFLOW_TYPES_H
#define NEWSFLOW_TYPES_H

#include <stdint.h>

/** The next offset to consume for one partition (-1 = unknown). */
typedef struct nf_partition_offset {
    int32_t partition;
    int64_t offset;
} nf_partition_offset_t;

#endif
