// CLP 1.17's nonlinear primal (QP) prints debugging lines with printf, puts and putchar on
// every inner step, whatever its log level. Sending stdout to /dev/null hides them but still
// formats each line and takes stdout's lock: on ken-07's ADMM updates at a small penalty, two
// threads doing so spent about half their time in printf and in futex waits for that lock.
// These definitions in the executable come before the C library's for CLP's calls (the
// dynamic linker looks in the executable first) and return at once while a QP solve is in
// progress (depth > 0); otherwise they do what the C library's do.
#define _GNU_SOURCE
#include "quiet_stdout.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int depth;

void parley_quiet_stdout_enter(void) { atomic_fetch_add_explicit(&depth, 1, memory_order_relaxed); }

void parley_quiet_stdout_leave(void) { atomic_fetch_sub_explicit(&depth, 1, memory_order_relaxed); }

static int quiet(void) { return atomic_load_explicit(&depth, memory_order_relaxed) > 0; }

#if defined(__linux__) && defined(__GLIBC__)
// glibc's fortified printf (what CLP, built with _FORTIFY_SOURCE, calls).
extern int __vprintf_chk(int flag, const char *format, va_list ap);

int __printf_chk(int flag, const char *format, ...) {
    if (quiet()) return 0;
    va_list ap;
    va_start(ap, format);
    int n = __vprintf_chk(flag, format, ap);
    va_end(ap);
    return n;
}

int puts(const char *s) {
    if (quiet()) return 0;
    if (fputs(s, stdout) == EOF) return EOF;
    return fputc('\n', stdout) == EOF ? EOF : 1;
}

int putchar(int c) {
    if (quiet()) return (unsigned char)c;
    return fputc(c, stdout);
}
#endif
