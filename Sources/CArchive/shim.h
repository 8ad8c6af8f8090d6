#ifndef CARCHIVE_SHIM_H
#define CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/// `AE_IFREG` and friends are macros with casts Swift cannot import.
static inline unsigned int CArchive_AE_IFREG(void) { return (unsigned int)AE_IFREG; }
static inline unsigned int CArchive_AE_IFDIR(void) { return (unsigned int)AE_IFDIR; }
#endif
