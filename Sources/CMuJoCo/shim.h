#include <mujoco/mujoco.h>
#include <stdio.h>

// MuJoCo's default warning handler prints to stdout and appends to
// MUJOCO_LOG.TXT in the current directory (a stray file in every checkout
// that runs the tests). Asym sends warnings to stderr only.
static void asym_mujoco_warning(const char* message) {
    fprintf(stderr, "MuJoCo warning: %s\n", message);
}

/// Installs Asym's MuJoCo warning handler (`mju_user_warning`). Idempotent.
static inline void asym_mujoco_install_handlers(void) {
    mju_user_warning = asym_mujoco_warning;
}
