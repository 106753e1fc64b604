/* referee — rescore (public API; filled in by its issue). */
#ifndef REFEREE_RESCORE_H
#define REFEREE_RESCORE_H

#endif
