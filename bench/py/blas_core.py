"""Which OpenBLAS kernel this Python process uses (for the side-by-side benchmark's record): the
OpenBLAS libraries mapped into the process, asked through ctypes for openblas_get_corename().
Import after numpy/torch. Returns e.g. "Haswell", "Cooperlake", or "unknown" (no OpenBLAS found)."""
import ctypes

def blas_core():
    seen = set()
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "blas" not in path.lower() or path in seen or not path.startswith("/"):
            continue
        seen.add(path)
        try:
            f = ctypes.CDLL(path).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return "unknown"
