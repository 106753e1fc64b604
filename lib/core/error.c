/* Per-thread last-error message and code, and the mapping from library codes
 * to CLI exit statuses (one table for every verb). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "referee/error.h"

#define RF_ERRMSG_MAX 1024

static _Thread_local char last_msg[RF_ERRMSG_MAX];
static _Thread_local int last_code;

const char *rf_error_last(void)
{
	return last_msg;
}

int rf_error_last_code(void)
{
	return last_code;
}

void rf_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = RF_OK;
}

/* Control characters from hostile input must not reach a terminal. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int rf_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof last_msg, fmt, ap);
	va_end(ap);
	sanitize(last_msg);
	last_code = code;
	return code;
}

int rf_error_wrap(int code, const char *fmt, ...)
{
	char prefix[RF_ERRMSG_MAX], old[RF_ERRMSG_MAX];
	va_list ap;
	memcpy(old, last_msg, sizeof old);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	if (old[0])
		snprintf(last_msg, sizeof last_msg, "%s: %s", prefix, old);
	else
		snprintf(last_msg, sizeof last_msg, "%s", prefix);
	sanitize(last_msg);
	last_code = code;
	return code;
}

int rf_error_openssl(int code, const char *fmt, ...)
{
	char what[RF_ERRMSG_MAX / 2], reason[256] = "";
	unsigned long e, first = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0)
		if (!first)
			first = e;
	if (first) {
		const char *r = ERR_reason_error_string(first);
		snprintf(reason, sizeof reason, "%s", r ? r : "unknown OpenSSL error");
	}
	if (reason[0])
		return rf_error_set(code, "%s: %s", what, reason);
	return rf_error_set(code, "%s", what);
}

const char *rf_error_name(int code)
{
	switch (code) {
	case RF_OK: return "OK";
	case RF_EINVAL: return "EINVAL";
	case RF_EIO: return "EIO";
	case RF_EFORMAT: return "EFORMAT";
	case RF_ECHECK: return "ECHECK";
	case RF_ENOMEM: return "ENOMEM";
	case RF_EEXIST: return "EEXIST";
	case RF_EUNSAFE: return "EUNSAFE";
	case RF_ELIB: return "ELIB";
	case RF_ENOTFOUND: return "ENOTFOUND";
	case RF_EUNSUPPORTED: return "EUNSUPPORTED";
	case RF_EINTERNAL: return "EINTERNAL";
	case RF_ELIMIT: return "ELIMIT";
	}
	return "EUNKNOWN";
}

int rf_error_exit_status(int code)
{
	switch (code) {
	case RF_OK:
		return 0;
	case RF_ECHECK:
	case RF_EUNSAFE:
		return 1;
	case RF_EINVAL:
	case RF_EIO:
	case RF_EFORMAT:
	case RF_EEXIST:
	case RF_ENOTFOUND:
	case RF_EUNSUPPORTED:
	case RF_ELIMIT:
		return 2;
	default:
		return 3;
	}
}
