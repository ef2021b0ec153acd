/*
 * lco_blas: single-precision matrix products for lco-kit through the platform's BLAS.
 *
 * Every function works on the memory of the Float32Arrays it is given (views into the wasm
 * backend's heap, or plain arrays): no copies. Matrices are row-major; a view's own byte offset
 * says where a matrix starts. Shapes are checked against the views' lengths here, so a wrong call
 * throws a RangeError instead of reading out of bounds.
 *
 * Exports:
 *   sgemm(transA, transB, M, N, K, A, B, C, beta)        C[M,N] = op(A)·op(B) + beta·C
 *   sgemmBatched(transA, transB, batch, M, N, K, A, strideA, B, strideB, C)
 *                                                        batch of products; a stride 0 broadcasts
 *   ssyrk(N, K, A, C)                                    upper triangle of C[N,N] = Aᵀ·A, A [K,N]
 *   biasAct(C, M, N, bias, act)                          C[i,j] += bias[j % len]; act 0 none, 1 relu
 *   rankBlock(S, rows, n, i0, lo, hi, q2c, c2q, pendJ, pendV, pending, cols)
 *                                                        retrieval's rank counting over one row block
 *   setThreads(n), getThreads(), info()                  BLAS threads and build description
 *   largeBuffer(bytes)                                   zeroed ArrayBuffer that may use huge pages
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and madvise under -std=c11 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#ifdef LCO_ACCELERATE
#include <Accelerate/Accelerate.h>
static const char *blas_name = "Accelerate";
static int blas_threads = 0; /* Accelerate manages its own threads */
#else
#include <cblas.h>
#endif

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "lco_blas: N-API call failed");     \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &off) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "lco_blas: expected a Float32Array");
    return 0;
  }
  *data = (float *)ptr;
  *len = length;
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 2147483647.0 || d != (double)(int64_t)d) {
    napi_throw_type_error(env, NULL, "lco_blas: expected a non-negative integer");
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static int get_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "lco_blas: expected a boolean");
    return 0;
  }
  *out = b ? 1 : 0;
  return 1;
}

/* One product, bounds already checked. */
static void gemm1(int tA, int tB, int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C, float beta) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t i = 0; i < M * N; i++) C[i] = beta == 0.0f ? 0.0f : beta * C[i];
    return;
  }
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, A,
              tA ? (int)M : (int)K, B, tB ? (int)K : (int)N, beta, C, (int)N);
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "lco_blas.sgemm: expected (transA, transB, M, N, K, A, B, C, beta?)");
    return NULL;
  }
  int tA, tB;
  int64_t M, N, K;
  float *A, *B, *C;
  size_t la, lb, lc;
  double beta = 0;
  if (!get_bool(env, argv[0], &tA) || !get_bool(env, argv[1], &tB) || !get_i64(env, argv[2], &M) || !get_i64(env, argv[3], &N) ||
      !get_i64(env, argv[4], &K) || !get_f32(env, argv[5], &A, &la) || !get_f32(env, argv[6], &B, &lb) || !get_f32(env, argv[7], &C, &lc))
    return NULL;
  if (argc > 8) CHECK(napi_get_value_double(env, argv[8], &beta));
  if ((int64_t)la < M * K || (int64_t)lb < K * N || (int64_t)lc < M * N) {
    napi_throw_range_error(env, NULL, "lco_blas.sgemm: an array is shorter than its shape");
    return NULL;
  }
  gemm1(tA, tB, M, N, K, A, B, C, (float)beta);
  return NULL;
}

static napi_value SgemmBatched(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 11) {
    napi_throw_type_error(env, NULL, "lco_blas.sgemmBatched: expected (transA, transB, batch, M, N, K, A, strideA, B, strideB, C)");
    return NULL;
  }
  int tA, tB;
  int64_t batch, M, N, K, sA, sB;
  float *A, *B, *C;
  size_t la, lb, lc;
  if (!get_bool(env, argv[0], &tA) || !get_bool(env, argv[1], &tB) || !get_i64(env, argv[2], &batch) || !get_i64(env, argv[3], &M) ||
      !get_i64(env, argv[4], &N) || !get_i64(env, argv[5], &K) || !get_f32(env, argv[6], &A, &la) || !get_i64(env, argv[7], &sA) ||
      !get_f32(env, argv[8], &B, &lb) || !get_i64(env, argv[9], &sB) || !get_f32(env, argv[10], &C, &lc))
    return NULL;
  if (batch == 0) return NULL;
  if ((int64_t)la < (batch - 1) * sA + M * K || (int64_t)lb < (batch - 1) * sB + K * N || (int64_t)lc < batch * M * N) {
    napi_throw_range_error(env, NULL, "lco_blas.sgemmBatched: an array is shorter than its shape");
    return NULL;
  }
  for (int64_t p = 0; p < batch; p++) gemm1(tA, tB, M, N, K, A + p * sA, B + p * sB, C + p * M * N, 0.0f);
  return NULL;
}

/* Aᵀ·A of a row-major A [K, N] (e.g. n samples × N features): half the work of sgemm(A, A). Only
 * the upper triangle of C (j ≥ i) is written; the rest keeps what it held. */
static napi_value Ssyrk(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "lco_blas.ssyrk: expected (N, K, A, C)");
    return NULL;
  }
  int64_t N, K;
  float *A, *C;
  size_t la, lc;
  if (!get_i64(env, argv[0], &N) || !get_i64(env, argv[1], &K) || !get_f32(env, argv[2], &A, &la) || !get_f32(env, argv[3], &C, &lc)) return NULL;
  if ((int64_t)la < K * N || (int64_t)lc < N * N) {
    napi_throw_range_error(env, NULL, "lco_blas.ssyrk: an array is shorter than its shape");
    return NULL;
  }
  if (N == 0) return NULL;
  if (K == 0) {
    for (int64_t i = 0; i < N; i++)
      for (int64_t j = i; j < N; j++) C[i * N + j] = 0.0f;
    return NULL;
  }
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)K, 1.0f, A, (int)N, 0.0f, C, (int)N);
  return NULL;
}

static napi_value BiasAct(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "lco_blas.biasAct: expected (C, M, N, bias|null, act)");
    return NULL;
  }
  float *C, *bias = NULL;
  size_t lc, lbias = 0;
  int64_t M, N, act;
  napi_valuetype bt;
  if (!get_f32(env, argv[0], &C, &lc) || !get_i64(env, argv[1], &M) || !get_i64(env, argv[2], &N) || !get_i64(env, argv[4], &act)) return NULL;
  CHECK(napi_typeof(env, argv[3], &bt));
  if (bt != napi_null && bt != napi_undefined && !get_f32(env, argv[3], &bias, &lbias)) return NULL;
  if ((int64_t)lc < M * N || (bias && lbias == 0) || (bias && lbias != 1 && (int64_t)lbias != N)) {
    napi_throw_range_error(env, NULL, "lco_blas.biasAct: bad sizes");
    return NULL;
  }
  for (int64_t i = 0; i < M; i++) {
    float *row = C + i * N;
    if (bias) {
      if (lbias == 1)
        for (int64_t j = 0; j < N; j++) row[j] += bias[0];
      else
        for (int64_t j = 0; j < N; j++) row[j] += bias[j];
    }
    if (act == 1)
      for (int64_t j = 0; j < N; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
  }
  return NULL;
}

static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, "lco_blas.rankBlock: wrong array type");
    return 0;
  }
  return 1;
}

/* Retrieval's rank counting over one row block S [rows, n] of Q·Cᵀ (rows i0 .. i0+rows−1), the
 * loop of src/retrieval/retrieval.ts ranksBothWays in C:
 *   q2c[i] = #{j : S_ij ≥ S_ii}                              (rank of C_i for query i, own 1 included)
 *   cols: c2q[j] += #{rows : S_ij > hi[j]}; values with lo[j] ≤ S_ij ≤ hi[j] are appended to
 *         (pendJ, pendV) for the caller to settle against the exact S_jj.
 * Returns the new pending count, or −1 when the pending arrays are full (q2c is still complete;
 * the caller then gives up the one-pass c2q). */
static napi_value RankBlock(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 12) {
    napi_throw_type_error(env, NULL, "lco_blas.rankBlock: expected (S, rows, n, i0, lo, hi, q2c, c2q, pendJ, pendV, pending, cols)");
    return NULL;
  }
  float *S;
  double *lo, *hi, *pendV;
  int32_t *q2c, *c2q, *pendJ;
  size_t ls, llo, lhi, lq, lc, lpj, lpv;
  int64_t rows, n, i0, pending;
  int cols;
  if (!get_typed(env, argv[0], napi_float32_array, (void **)&S, &ls) || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &n) ||
      !get_i64(env, argv[3], &i0) || !get_typed(env, argv[4], napi_float64_array, (void **)&lo, &llo) ||
      !get_typed(env, argv[5], napi_float64_array, (void **)&hi, &lhi) || !get_typed(env, argv[6], napi_int32_array, (void **)&q2c, &lq) ||
      !get_typed(env, argv[7], napi_int32_array, (void **)&c2q, &lc) || !get_typed(env, argv[8], napi_int32_array, (void **)&pendJ, &lpj) ||
      !get_typed(env, argv[9], napi_float64_array, (void **)&pendV, &lpv) || !get_i64(env, argv[10], &pending) || !get_bool(env, argv[11], &cols))
    return NULL;
  if ((int64_t)ls < rows * n || i0 + rows > n || (int64_t)llo < n || (int64_t)lhi < n || (int64_t)lq < n || (int64_t)lc < n ||
      lpv < lpj || pending > (int64_t)lpj) {
    napi_throw_range_error(env, NULL, "lco_blas.rankBlock: bad sizes");
    return NULL;
  }
  int64_t cap = (int64_t)lpj;
  for (int64_t r = 0; r < rows; r++) {
    const float *row = S + r * n;
    const float t = row[i0 + r];
    int32_t above = 0;
    int64_t j = 0;
    if (cols && pending >= 0) {
      for (; j < n; j++) {
        const float v = row[j];
        above += v >= t;
        if (v > hi[j]) c2q[j]++;
        else if (v >= lo[j]) {
          if (pending == cap) { pending = -1; j++; break; }
          pendJ[pending] = (int32_t)j;
          pendV[pending] = v;
          pending++;
        }
      }
    }
    for (; j < n; j++) above += row[j] >= t;
    q2c[i0 + r] = above;
  }
  napi_value out;
  CHECK(napi_create_int64(env, pending, &out));
  return out;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i64(env, argv[0], &n)) return NULL;
#ifdef LCO_ACCELERATE
  blas_threads = (int)n;
#else
  openblas_set_num_threads((int)n);
#endif
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  napi_value out;
#ifdef LCO_ACCELERATE
  CHECK(napi_create_int32(env, blas_threads, &out));
#else
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
#endif
  return out;
}

static napi_value Info(napi_env env, napi_callback_info info) {
  char buf[512];
#ifdef LCO_ACCELERATE
  snprintf(buf, sizeof buf, "%s", blas_name);
#else
  snprintf(buf, sizeof buf, "%s; core %s", openblas_get_config(), openblas_get_corename());
#endif
  napi_value out;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out));
  return out;
}

/* largeBuffer(bytes): a zero-filled ArrayBuffer for big arrays (input files, normalised copies,
 * similarity blocks). On Linux it is anonymous memory advised MADV_HUGEPAGE, as numpy does for
 * arrays of 4 MB and more: with transparent huge pages in "madvise" mode (Debian's default) the
 * kernel then faults it in 2 MB at a time instead of 4 kB (measured: 26k minor faults per
 * `lco align --metric cka` at n 10k). Elsewhere, or if mmap fails, plain calloc. The kernel
 * zero-fills both. The memory is freed when the ArrayBuffer is collected. */
typedef struct { void *p; size_t len; int mapped; } Region;

static void free_region(napi_env env, void *data, void *hint) {
  Region *r = (Region *)hint;
  (void)data;
#ifdef __linux__
  if (r->mapped) munmap(r->p, r->len);
  else free(r->p);
#else
  free(r->p);
#endif
  int64_t adjusted;
  napi_adjust_external_memory(env, -(int64_t)r->len, &adjusted);
  free(r);
}

static napi_value LargeBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t bytes;
  if (argc < 1 || !get_i64(env, argv[0], &bytes)) return NULL;
  Region *r = (Region *)malloc(sizeof(Region));
  if (!r) { napi_throw_error(env, NULL, "lco_blas.largeBuffer: out of memory"); return NULL; }
  r->len = bytes > 0 ? (size_t)bytes : 1;
  r->mapped = 0;
  r->p = NULL;
#ifdef __linux__
  void *p = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    r->p = p;
    r->mapped = 1;
#ifdef MADV_HUGEPAGE
    madvise(p, r->len, MADV_HUGEPAGE); /* advice only: without THP the pages are ordinary ones */
#endif
  }
#endif
  if (!r->p) r->p = calloc(r->len, 1);
  if (!r->p) { free(r); napi_throw_error(env, NULL, "lco_blas.largeBuffer: out of memory"); return NULL; }
  napi_value out;
  if (napi_create_external_arraybuffer(env, r->p, (size_t)bytes, free_region, r, &out) != napi_ok) {
    free_region(env, NULL, r);
    napi_throw_error(env, NULL, "lco_blas.largeBuffer: N-API call failed");
    return NULL;
  }
  int64_t adjusted;
  napi_adjust_external_memory(env, (int64_t)r->len, &adjusted);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemmBatched", NULL, SgemmBatched, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ssyrk", NULL, Ssyrk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rankBlock", NULL, RankBlock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasAct", NULL, BiasAct, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"largeBuffer", NULL, LargeBuffer, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
