/* The library's version, from the Makefile. */
#include "referee/referee.h"

#ifndef RF_VERSION
#define RF_VERSION "0.0.0"
#endif

const char *rf_version(void)
{
	return RF_VERSION;
}
