// Intentionally empty: this target only exposes glibc prototypes (see include/CWardShims.h).
