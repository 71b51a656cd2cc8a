#ifndef PARLEY_QUIET_STDOUT_H
#define PARLEY_QUIET_STDOUT_H

/// While the depth is above zero, the C library's printf, puts and putchar — as called by
/// CLP's nonlinear (QP) code, which prints debugging lines whatever its log level — write
/// nothing. See quiet_stdout.c.
void parley_quiet_stdout_enter(void);
void parley_quiet_stdout_leave(void);

#endif
