/* Configuration files (libinih): which files, which sections apply, where each value came from. */
#ifndef CBEXEC_CONFIG_H
#define CBEXEC_CONFIG_H

#include <stdio.h>

#include "options.h"

/* Applies the configuration for breaker name (NULL: [defaults] only) to o.
 * explicit_path: --config, else $CBEXEC_CONFIG, else the default files.
 * Prints "FILE:LINE: ..." diagnostics and returns -1 on any error. */
int config_load(struct options *o, const char *name, const char *explicit_path);

/* Parses f as config_load() parses each file, naming it label in messages and
 * origins ("label:LINE"), and applies it to o for name as if it were the only file.
 * The caller opened f, so ownership and permissions are not checked. For the fuzz
 * target and tests. Returns -1 on any error. */
int config_parse_stream(FILE *f, const char *label, struct options *o, const char *name);

#endif
