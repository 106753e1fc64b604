/* referee — report (public API; filled in by its issue). */
#ifndef REFEREE_REPORT_H
#define REFEREE_REPORT_H

#endif
