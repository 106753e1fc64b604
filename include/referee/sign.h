/* referee — sign (public API; filled in by its issue). */
#ifndef REFEREE_SIGN_H
#define REFEREE_SIGN_H

#endif
