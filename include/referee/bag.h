/* referee — bag (public API; filled in by its issue). */
#ifndef REFEREE_BAG_H
#define REFEREE_BAG_H

#endif
