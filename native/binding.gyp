# The optional native BLAS addon (issue 13): a thin N-API layer over the platform's BLAS.
# Linux: OpenBLAS from Debian (libopenblas-dev); macOS: Accelerate. We write no GEMM ourselves.
# Built by environment/build-native.sh (called from environment/install.sh); where it cannot be
# built the kit runs on wasm exactly as before (src/backend/native.ts says why).
{
  "targets": [
    {
      "target_name": "lco_blas",
      "sources": ["lco_blas.c"],
      "cflags": ["-O2", "-std=c11", "-Wall"],
      "conditions": [
        ["OS=='mac'", {
          "defines": ["LCO_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }],
        ["OS!='mac'", {
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
