/* referee — digest (public API; filled in by its issue). */
#ifndef REFEREE_DIGEST_H
#define REFEREE_DIGEST_H

#endif
