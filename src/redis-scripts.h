/* The Redis store's Lua scripts, made into C strings by the Makefile from
 * src/lua/ (src/redis-scripts.c is generated, never committed). Each is the
 * server's clock (clock.lua), the state machine's twin (machine.lua) and one
 * operation; the argument and reply conventions are machine.lua's. */
#ifndef CBEXEC_REDIS_SCRIPTS_H
#define CBEXEC_REDIS_SCRIPTS_H

#include "redis-conn.h"

/* clock.lua, the prefix of every script: the differential test replaces it
 * with a clock it sets (tests/unit/test_redis_diff.c). */
extern const char redis_lua_clock[];

extern const struct redis_script redis_script_admit;
extern const struct redis_script redis_script_record;
extern const struct redis_script redis_script_release;
extern const struct redis_script redis_script_manual;
extern const struct redis_script redis_script_read;
extern const struct redis_script redis_script_delete;

#endif
