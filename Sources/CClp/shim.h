#ifndef PARLEY_CCLP_SHIM_H
#define PARLEY_CCLP_SHIM_H
// COIN-OR CLP's C interface (Debian coinor-libclp-dev, headers under /usr/include/coin).
#include <coin/Clp_C_Interface.h>
#endif
