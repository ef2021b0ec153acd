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
 *   biasAct(C, M, N, bias, act)                          C[i,j] += bias[j % len]; act 0 none, 1 relu
 *   setThreads(n), getThreads(), info()                  BLAS threads and build description
 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemmBatched", NULL, SgemmBatched, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasAct", NULL, BiasAct, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
