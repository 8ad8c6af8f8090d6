#ifndef DATARATER_CPROCESS_H
#define DATARATER_CPROCESS_H

/// Asks the kernel to send `signal` to this process when its parent exits (Linux prctl PR_SET_PDEATHSIG),
/// so stage and worker processes never outlive the `datarater` process that started them.
/// Returns 0 on success, -1 where unsupported or on error. (A shim because Swift cannot call variadic prctl.)
int datarater_set_parent_death_signal(int signal);

#endif
