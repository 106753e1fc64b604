/* referee — claims (public API; filled in by its issue). */
#ifndef REFEREE_CLAIMS_H
#define REFEREE_CLAIMS_H

#endif
