#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import DataRaterCLI

// Writes to a closed pipe (`datarater cat … | head`) fail with EPIPE instead of killing the process.
signal(SIGPIPE, SIG_IGN)
DataRaterCommand.start()
