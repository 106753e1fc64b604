/* referee — reward (public API; filled in by its issue). */
#ifndef REFEREE_REWARD_H
#define REFEREE_REWARD_H

#endif
