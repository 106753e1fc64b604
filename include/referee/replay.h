/* referee — replay (public API; filled in by its issue). */
#ifndef REFEREE_REPLAY_H
#define REFEREE_REPLAY_H

#endif
