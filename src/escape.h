/* Text from the state file made safe to print: control bytes escaped, UTF-8 checked. */
#ifndef CBEXEC_ESCAPE_H
#define CBEXEC_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* The room escape_text needs for n input bytes: each may become "\ooo". */
#define ESCAPE_SIZE(n) (4 * (n) + 1)

/* True if s is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF). */
bool text_utf8_valid(const char *s);
/* True if s holds a C0 or C1 control character or DEL. */
bool text_has_control(const char *s);
/* Copies in to out as ls -b does: backslash, C0 and C1 controls, DEL and bytes
 * that are not valid UTF-8 become \\, \n, \t... or \ooo; the rest is copied.
 * Returns out. Output past outlen is cut at a whole escape. */
char *escape_text(const char *in, char *out, size_t outlen);
/* Copies len bytes of in to out, each byte that is not part of valid UTF-8
 * replaced by U+FFFD; out needs 3 * len + 1 bytes. Returns the length. */
size_t text_utf8_repair(const char *in, size_t len, char *out);

#endif
