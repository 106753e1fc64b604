/* referee — manifest (public API; filled in by its issue). */
#ifndef REFEREE_MANIFEST_H
#define REFEREE_MANIFEST_H

#endif
