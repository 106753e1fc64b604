/* referee — the umbrella header: everything public in libreferee. */
#ifndef REFEREE_H
#define REFEREE_H

#include "error.h"
#include "buf.h"
#include "file.h"
#include "path.h"
#include "pool.h"
#include "digest.h"
#include "bag.h"
#include "fetch.h"
#include "provenance.h"
#include "sign.h"
#include "model.h"
#include "tsa.h"
#include "manifest.h"
#include "claims.h"
#include "reward.h"
#include "rescore.h"
#include "replay.h"
#include "report.h"
#include "bundle.h"
#include "escape.h"
#include "review.h"
#include "contam.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The library's version string ("0.1.0"); static. */
const char *rf_version(void);

#ifdef __cplusplus
}
#endif
#endif
