/* referee — provenance (public API; filled in by its issue). */
#ifndef REFEREE_PROVENANCE_H
#define REFEREE_PROVENANCE_H

#endif
