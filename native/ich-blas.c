/*
 * ich-blas: OpenBLAS products for the engine's wasm-backend kernels (src-ml/nn/kernels/native-*.ts).
 * The kernels hand Float32Array views of the wasm heap (or any Float32Array) plus element offsets; nothing is
 * copied in or out. Every extent is checked against the array's length first, so a wrong shape throws a
 * one-line error instead of writing past a buffer.
 *
 *   sgemm(transA, transB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc)   row-major C = alpha op(A) op(B) + beta C
 *   conv2d(x, w, y, geom, bias|null, act, alpha)    y[P, Co] = im2col(x)[P, K] w[K, Co] (+ bias, activation)
 *   conv2dBackpropFilter(x, dy, dw, geom)          dw[K, Co] = im2col(x)^T dy
 *   conv2dBackpropInput(dy, w, dx, geom)           dx = col2im(dy w^T)
 *   bnTrain(x, gamma, beta, y, mean, variance, eps), bnTrainGrad(dy, x, gamma, mean, variance, dx, dgamma, dbeta, eps)
 *                                                  training-mode batch norm over the last axis (wasm-batch-norm.ts)
 *   maxPoolGrad(x, dy, dx, geom12)                 as wasm-max-pool-grad.ts
 *   sumLeading(x, out, outer, inner, scale)        column sums of a [outer, inner] matrix (wasm-reduce.ts)
 *   setThreads(n), threads(), config(), setChunkFloats(n) (this thread's im2col chunk; tests make it tiny)
 * geom (Int32Array): batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, padTop, padLeft;
 * NHWC tensors, filters [KH, KW, Ci, Co], dilation 1; K = KH*KW*Ci with k = (kh*KW + kw)*Ci + c.
 * im2col / col2im work on chunks of output pixels in a scratch buffer owned by the calling environment
 * (each worker thread has its own), so memory stays bounded whatever the batch.
 * Context-aware (NAPI_MODULE_INIT): loadable in every worker thread.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Default im2col chunk in floats (1 MiB): a chunk stays in L2 between im2col and the product (measured 1.3-2x faster than 16 MiB chunks at BenchCNN sizes). */
#define CHUNK_FLOATS (256 * 1024)

/* Per environment (main thread or worker): the im2col buffer and the chunk size. */
typedef struct {
  float *buf;
  size_t cap;
  int64_t chunk_floats;
} Scratch;

static void scratch_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scratch *s = data;
  free(s->buf);
  free(s);
}

static float *scratch_get(napi_env env, size_t floats) {
  Scratch *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok || !s) return NULL;
  if (s->cap < floats) {
    free(s->buf);
    s->buf = malloc(floats * sizeof(float));
    s->cap = s->buf ? floats : 0;
  }
  return s->buf;
}

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "ich-blas: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

#define FAIL(...)                                         \
  do {                                                    \
    char msg_[256];                                       \
    snprintf(msg_, sizeof msg_, "ich-blas: " __VA_ARGS__); \
    napi_throw_error(env, NULL, msg_);                    \
    return NULL;                                          \
  } while (0)

/* A Float32Array argument: its data and length in elements; 0 when it is not one. */
static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array) return 0;
  *data = ptr;
  return 1;
}

/* An Int32Array argument of exactly n sizes, none negative: its data; 0 when it is not one. */
static int get_sizes(napi_env env, napi_value v, size_t n, const int32_t **data) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t len;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok || type != napi_int32_array || len != n) return 0;
  const int32_t *p = ptr;
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0) return 0;
  *data = p;
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static napi_value sgemm_fn(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value a[16];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 16) FAIL("sgemm takes 16 arguments, got %zu", argc);
  bool ta, tb;
  int64_t M, N, K, offA, lda, offB, ldb, offC, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t lenA, lenB, lenC;
  if (napi_get_value_bool(env, a[0], &ta) != napi_ok || napi_get_value_bool(env, a[1], &tb) != napi_ok) FAIL("sgemm: transA and transB must be booleans");
  if (!get_i64(env, a[2], &M) || !get_i64(env, a[3], &N) || !get_i64(env, a[4], &K) || !get_i64(env, a[7], &offA) ||
      !get_i64(env, a[8], &lda) || !get_i64(env, a[10], &offB) || !get_i64(env, a[11], &ldb) || !get_i64(env, a[14], &offC) ||
      !get_i64(env, a[15], &ldc))
    FAIL("sgemm: sizes, offsets and leading dimensions must be numbers");
  if (napi_get_value_double(env, a[5], &alpha) != napi_ok || napi_get_value_double(env, a[12], &beta) != napi_ok) FAIL("sgemm: alpha and beta must be numbers");
  if (!get_f32(env, a[6], &A, &lenA) || !get_f32(env, a[9], &B, &lenB) || !get_f32(env, a[13], &C, &lenC)) FAIL("sgemm: A, B and C must be Float32Arrays");
  if (M < 0 || N < 0 || K < 0 || offA < 0 || offB < 0 || offC < 0) FAIL("sgemm: negative size or offset");
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX) FAIL("sgemm: size over 2^31");
  /* Stored shapes (row-major): A is [M, K] or [K, M] when transposed; B is [K, N] or [N, K]. */
  int64_t aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N : K, bCols = tb ? K : N;
  if (lda < (aCols > 1 ? aCols : 1) || ldb < (bCols > 1 ? bCols : 1) || ldc < (N > 1 ? N : 1)) FAIL("sgemm: leading dimension smaller than the row");
  if (M == 0 || N == 0) return NULL;
  if (aRows > 0 && offA + (aRows - 1) * lda + aCols > (int64_t)lenA) FAIL("sgemm: A [%lld x %lld] at %lld overruns its %zu floats", (long long)aRows, (long long)aCols, (long long)offA, lenA);
  if (bRows > 0 && offB + (bRows - 1) * ldb + bCols > (int64_t)lenB) FAIL("sgemm: B [%lld x %lld] at %lld overruns its %zu floats", (long long)bRows, (long long)bCols, (long long)offB, lenB);
  if (offC + (M - 1) * ldc + N > (int64_t)lenC) FAIL("sgemm: C [%lld x %lld] at %lld overruns its %zu floats", (long long)M, (long long)N, (long long)offC, lenC);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, (float)alpha,
              A + offA, (int)lda, B + offB, (int)ldb, (float)beta, C + offC, (int)ldc);
  return NULL;
}

typedef struct {
  int64_t batch, inH, inW, ci, outH, outW, co, kh, kw, sh, sw, padTop, padLeft;
} Geom;

static int get_geom(napi_env env, napi_value v, Geom *g) {
  const int32_t *p;
  if (!get_sizes(env, v, 13, &p)) return 0;
  for (int i = 1; i < 11; i++) {
    if (p[i] == 0) return 0;
  }
  *g = (Geom){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]};
  return 1;
}

/*
 * cols[r, k] for output pixels p0..p0+rows-1 (p = (b*outH + oh)*outW + ow): x at the tap's input pixel, or 0.
 * With the whole filter row inside the image, a tap row's KW*Ci values are one contiguous run of x.
 */
static void im2col(const float *x, float *cols, const Geom *g, int64_t p0, int64_t rows) {
  const int64_t K = g->kh * g->kw * g->ci, plane = g->outH * g->outW, run = g->kw * g->ci;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t p = p0 + r, b = p / plane, oh = (p % plane) / g->outW, ow = p % g->outW;
    const int64_t iw0 = ow * g->sw - g->padLeft;
    float *dst = cols + r * K;
    for (int64_t i = 0; i < g->kh; i++, dst += run) {
      const int64_t ih = oh * g->sh + i - g->padTop;
      if (ih < 0 || ih >= g->inH) {
        memset(dst, 0, run * sizeof(float));
        continue;
      }
      const float *src = x + ((b * g->inH + ih) * g->inW) * g->ci;
      if (iw0 >= 0 && iw0 + g->kw <= g->inW) {
        memcpy(dst, src + iw0 * g->ci, run * sizeof(float));
        continue;
      }
      for (int64_t j = 0; j < g->kw; j++) {
        const int64_t iw = iw0 + j;
        if (iw < 0 || iw >= g->inW) memset(dst + j * g->ci, 0, g->ci * sizeof(float));
        else memcpy(dst + j * g->ci, src + iw * g->ci, g->ci * sizeof(float));
      }
    }
  }
}

/* dx += col2im(cols) for output pixels p0..p0+rows-1. */
static void col2im_add(const float *cols, float *dx, const Geom *g, int64_t p0, int64_t rows) {
  const int64_t K = g->kh * g->kw * g->ci, plane = g->outH * g->outW, run = g->kw * g->ci;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t p = p0 + r, b = p / plane, oh = (p % plane) / g->outW, ow = p % g->outW;
    const int64_t iw0 = ow * g->sw - g->padLeft;
    const float *src = cols + r * K;
    for (int64_t i = 0; i < g->kh; i++, src += run) {
      const int64_t ih = oh * g->sh + i - g->padTop;
      if (ih < 0 || ih >= g->inH) continue;
      float *row = dx + ((b * g->inH + ih) * g->inW) * g->ci;
      if (iw0 >= 0 && iw0 + g->kw <= g->inW) {
        float *d = row + iw0 * g->ci;
        for (int64_t e = 0; e < run; e++) d[e] += src[e];
        continue;
      }
      for (int64_t j = 0; j < g->kw; j++) {
        const int64_t iw = iw0 + j;
        if (iw < 0 || iw >= g->inW) continue;
        float *d = row + iw * g->ci;
        const float *s = src + j * g->ci;
        for (int64_t c = 0; c < g->ci; c++) d[c] += s[c];
      }
    }
  }
}

/* A 1x1, stride-1, unpadded convolution reads x as the [P, Ci] matrix itself: no im2col. */
static int is_pointwise(const Geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->padTop == 0 && g->padLeft == 0 && g->inH == g->outH && g->inW == g->outW;
}

static int64_t chunk_rows(napi_env env, const Geom *g) {
  Scratch *s = NULL;
  napi_get_instance_data(env, (void **)&s);
  const int64_t K = g->kh * g->kw * g->ci, floats = s ? s->chunk_floats : CHUNK_FLOATS;
  int64_t rows = floats / (K > 0 ? K : 1);
  return rows > 0 ? rows : 1;
}

/* The lengths of the input, filter and output arrays against the geometry (im2col / col2im check every tap's pixel, so this is all that keeps them inside). */
static const char *check_sizes(const Geom *g, size_t lenX, size_t lenW, size_t lenY) {
  if ((int64_t)lenX < g->batch * g->inH * g->inW * g->ci) return "the input is smaller than the geometry says";
  if ((int64_t)lenW < g->kh * g->kw * g->ci * g->co) return "the filter is smaller than the geometry says";
  if ((int64_t)lenY < g->batch * g->outH * g->outW * g->co) return "the output is smaller than the geometry says";
  return NULL;
}

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3 };

static napi_value conv2d_fn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 7) FAIL("conv2d takes 7 arguments, got %zu", argc);
  float *x, *w, *y, *bias = NULL;
  size_t lenX, lenW, lenY, lenBias = 0;
  Geom g;
  int32_t act;
  double alpha;
  if (!get_f32(env, a[0], &x, &lenX) || !get_f32(env, a[1], &w, &lenW) || !get_f32(env, a[2], &y, &lenY)) FAIL("conv2d: x, w and y must be Float32Arrays");
  if (!get_geom(env, a[3], &g)) FAIL("conv2d: geometry must be an Int32Array of 13 valid sizes");
  napi_valuetype bt;
  CHECK(napi_typeof(env, a[4], &bt));
  if (bt != napi_null && bt != napi_undefined && !get_f32(env, a[4], &bias, &lenBias)) FAIL("conv2d: bias must be a Float32Array or null");
  if (napi_get_value_int32(env, a[5], &act) != napi_ok || act < 0 || act > 3 || napi_get_value_double(env, a[6], &alpha) != napi_ok) FAIL("conv2d: bad activation");
  const char *bad = check_sizes(&g, lenX, lenW, lenY);
  if (bad) FAIL("conv2d: %s", bad);
  if (bias && (int64_t)lenBias < g.co) FAIL("conv2d: the bias has %zu values for %lld channels", lenBias, (long long)g.co);
  const int64_t K = g.kh * g.kw * g.ci, P = g.batch * g.outH * g.outW;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, (int)g.co, (int)K, 1.0f, x, (int)K, w, (int)g.co, 0.0f, y, (int)g.co);
  } else {
    const int64_t step = chunk_rows(env, &g);
    float *cols = scratch_get(env, (size_t)((step < P ? step : P) * K));
    if (!cols) FAIL("conv2d: out of memory for the im2col buffer");
    for (int64_t p0 = 0; p0 < P; p0 += step) {
      const int64_t rows = P - p0 < step ? P - p0 : step;
      im2col(x, cols, &g, p0, rows);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)g.co, (int)K, 1.0f, cols, (int)K, w, (int)g.co, 0.0f,
                  y + p0 * g.co, (int)g.co);
    }
  }
  if (bias || act != ACT_LINEAR) {
    const float a6 = (float)alpha;
    for (int64_t p = 0; p < P; p++) {
      float *row = y + p * g.co;
      if (bias)
        for (int64_t o = 0; o < g.co; o++) row[o] += bias[o];
      switch (act) {
        case ACT_RELU:
          for (int64_t o = 0; o < g.co; o++) row[o] = row[o] > 0 ? row[o] : 0;
          break;
        case ACT_RELU6:
          for (int64_t o = 0; o < g.co; o++) row[o] = row[o] < 0 ? 0 : row[o] > 6 ? 6 : row[o];
          break;
        case ACT_LEAKY:
          for (int64_t o = 0; o < g.co; o++) row[o] = row[o] < 0 ? row[o] * a6 : row[o];
          break;
        default:
          break;
      }
    }
  }
  return NULL;
}

static napi_value conv2d_filter_fn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 4) FAIL("conv2dBackpropFilter takes 4 arguments, got %zu", argc);
  float *x, *dy, *dw;
  size_t lenX, lenDy, lenDw;
  Geom g;
  if (!get_f32(env, a[0], &x, &lenX) || !get_f32(env, a[1], &dy, &lenDy) || !get_f32(env, a[2], &dw, &lenDw)) FAIL("conv2dBackpropFilter: x, dy and dw must be Float32Arrays");
  if (!get_geom(env, a[3], &g)) FAIL("conv2dBackpropFilter: geometry must be an Int32Array of 13 valid sizes");
  const char *bad = check_sizes(&g, lenX, lenDw, lenDy);
  if (bad) FAIL("conv2dBackpropFilter: %s", bad);
  const int64_t K = g.kh * g.kw * g.ci, P = g.batch * g.outH * g.outW;
  if (P == 0) {
    memset(dw, 0, (size_t)(K * g.co) * sizeof(float));
    return NULL;
  }
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)g.co, (int)P, 1.0f, x, (int)K, dy, (int)g.co, 0.0f, dw, (int)g.co);
    return NULL;
  }
  const int64_t step = chunk_rows(env, &g);
  float *cols = scratch_get(env, (size_t)((step < P ? step : P) * K));
  if (!cols) FAIL("conv2dBackpropFilter: out of memory for the im2col buffer");
  /* Chunks accumulate in a fixed order (beta 1 after the first): the same sum on every run. */
  for (int64_t p0 = 0; p0 < P; p0 += step) {
    const int64_t rows = P - p0 < step ? P - p0 : step;
    im2col(x, cols, &g, p0, rows);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)g.co, (int)rows, 1.0f, cols, (int)K, dy + p0 * g.co, (int)g.co,
                p0 == 0 ? 0.0f : 1.0f, dw, (int)g.co);
  }
  return NULL;
}

static napi_value conv2d_input_fn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 4) FAIL("conv2dBackpropInput takes 4 arguments, got %zu", argc);
  float *dy, *w, *dx;
  size_t lenDy, lenW, lenDx;
  Geom g;
  if (!get_f32(env, a[0], &dy, &lenDy) || !get_f32(env, a[1], &w, &lenW) || !get_f32(env, a[2], &dx, &lenDx)) FAIL("conv2dBackpropInput: dy, w and dx must be Float32Arrays");
  if (!get_geom(env, a[3], &g)) FAIL("conv2dBackpropInput: geometry must be an Int32Array of 13 valid sizes");
  const char *bad = check_sizes(&g, lenDx, lenW, lenDy);
  if (bad) FAIL("conv2dBackpropInput: %s", bad);
  const int64_t K = g.kh * g.kw * g.ci, P = g.batch * g.outH * g.outW;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)K, (int)g.co, 1.0f, dy, (int)g.co, w, (int)g.co, 0.0f, dx, (int)K);
    return NULL;
  }
  memset(dx, 0, (size_t)(g.batch * g.inH * g.inW * g.ci) * sizeof(float));
  const int64_t step = chunk_rows(env, &g);
  float *cols = scratch_get(env, (size_t)((step < P ? step : P) * K));
  if (P > 0 && !cols) FAIL("conv2dBackpropInput: out of memory for the col2im buffer");
  for (int64_t p0 = 0; p0 < P; p0 += step) {
    const int64_t rows = P - p0 < step ? P - p0 : step;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)K, (int)g.co, 1.0f, dy + p0 * g.co, (int)g.co, w, (int)g.co, 0.0f,
                cols, (int)K);
    col2im_add(cols, dx, &g, p0, rows);
  }
  return NULL;
}

/*
 * Training-mode batch norm over the last axis of a [rows, c] activation, as wasm-batch-norm.ts computes it (that
 * file holds the derivation): per-channel sums in double, one pass for the statistics (shifted by the channel's
 * first value), one for the output. ~5x the JS loops.
 */
static napi_value bn_train_fn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 7) FAIL("bnTrain takes 7 arguments, got %zu", argc);
  float *x, *gamma, *beta, *y, *mean, *var;
  size_t lx, lg, lb, ly, lm, lv;
  double eps;
  if (!get_f32(env, a[0], &x, &lx) || !get_f32(env, a[1], &gamma, &lg) || !get_f32(env, a[2], &beta, &lb) || !get_f32(env, a[3], &y, &ly) ||
      !get_f32(env, a[4], &mean, &lm) || !get_f32(env, a[5], &var, &lv))
    FAIL("bnTrain: x, gamma, beta, y, mean and variance must be Float32Arrays");
  if (napi_get_value_double(env, a[6], &eps) != napi_ok) FAIL("bnTrain: epsilon must be a number");
  const size_t c = lg;
  if (c == 0 || lb != c || lm != c || lv != c || lx % c != 0 || ly != lx) FAIL("bnTrain: sizes do not match (x %zu, channels %zu)", lx, c);
  const size_t rows = lx / c;
  double *acc = calloc(4 * c, sizeof(double));
  if (!acc) FAIL("bnTrain: out of memory");
  double *k = acc, *s1 = acc + c, *s2 = acc + 2 * c, *shift = acc + 3 * c;
  for (size_t j = 0; j < c; j++) k[j] = rows ? x[j] : 0;
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    for (size_t j = 0; j < c; j++) {
      const double d = (double)xr[j] - k[j];
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  /* s1 becomes the scale, s2 is no longer needed after the variance. */
  for (size_t j = 0; j < c; j++) {
    const double m1 = s1[j] / (double)rows, mu = k[j] + m1, ss = s2[j] - s1[j] * m1, v = (ss > 0 ? ss : 0) / (double)rows;
    mean[j] = (float)mu;
    var[j] = (float)v;
    const double scale = gamma[j] / sqrt(v + eps);
    s1[j] = scale;
    shift[j] = beta[j] - mu * scale;
  }
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = (float)(xr[j] * s1[j] + shift[j]);
  }
  free(acc);
  return NULL;
}

static napi_value bn_train_grad_fn(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value a[9];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 9) FAIL("bnTrainGrad takes 9 arguments, got %zu", argc);
  float *dy, *x, *gamma, *mean, *var, *dx, *dgamma, *dbeta;
  size_t ldy, lx, lg, lm, lv, ldx, ldg, ldb;
  double eps;
  if (!get_f32(env, a[0], &dy, &ldy) || !get_f32(env, a[1], &x, &lx) || !get_f32(env, a[2], &gamma, &lg) || !get_f32(env, a[3], &mean, &lm) ||
      !get_f32(env, a[4], &var, &lv) || !get_f32(env, a[5], &dx, &ldx) || !get_f32(env, a[6], &dgamma, &ldg) || !get_f32(env, a[7], &dbeta, &ldb))
    FAIL("bnTrainGrad: dy, x, gamma, mean, variance, dx, dgamma and dbeta must be Float32Arrays");
  if (napi_get_value_double(env, a[8], &eps) != napi_ok) FAIL("bnTrainGrad: epsilon must be a number");
  const size_t c = lg;
  if (c == 0 || lm != c || lv != c || ldg != c || ldb != c || lx % c != 0 || ldy != lx || ldx != lx) FAIL("bnTrainGrad: sizes do not match (x %zu, channels %zu)", lx, c);
  const size_t rows = lx / c;
  double *acc = calloc(6 * c, sizeof(double));
  if (!acc) FAIL("bnTrainGrad: out of memory");
  double *sumDy = acc, *sumDyXmu = acc + c, *mu = acc + 2 * c, *k1 = acc + 3 * c, *k2 = acc + 4 * c, *k0 = acc + 5 * c;
  for (size_t j = 0; j < c; j++) mu[j] = mean[j];
  for (size_t r = 0; r < rows; r++) {
    const float *dr = dy + r * c, *xr = x + r * c;
    for (size_t j = 0; j < c; j++) {
      const double d = dr[j];
      sumDy[j] += d;
      sumDyXmu[j] += d * ((double)xr[j] - mu[j]);
    }
  }
  /* dx = k1 dy + k2 x + k0 per channel. */
  for (size_t j = 0; j < c; j++) {
    const double r = 1 / sqrt((double)var[j] + eps);
    dgamma[j] = (float)(sumDyXmu[j] * r);
    dbeta[j] = (float)sumDy[j];
    k1[j] = gamma[j] * r;
    k2[j] = -k1[j] * r * r * (sumDyXmu[j] / (double)rows);
    k0[j] = -k1[j] * (sumDy[j] / (double)rows) - k2[j] * mu[j];
  }
  for (size_t r = 0; r < rows; r++) {
    const float *dr = dy + r * c, *xr = x + r * c;
    float *o = dx + r * c;
    for (size_t j = 0; j < c; j++) o[j] = (float)(k1[j] * dr[j] + k2[j] * xr[j] + k0[j]);
  }
  free(acc);
  return NULL;
}

/*
 * MaxPoolGrad as wasm-max-pool-grad.ts computes it: each output's gradient goes to the first maximum of its window
 * in row-major order (tfjs's cpu rule). geom (Int32Array): batch, inH, inW, C, outH, outW, filterH, filterW,
 * strideH, strideW, padTop, padLeft.
 */
static napi_value max_pool_grad_fn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 4) FAIL("maxPoolGrad takes 4 arguments, got %zu", argc);
  float *x, *dy, *dx;
  size_t lx, ldy, ldx;
  const int32_t *q;
  if (!get_f32(env, a[0], &x, &lx) || !get_f32(env, a[1], &dy, &ldy) || !get_f32(env, a[2], &dx, &ldx)) FAIL("maxPoolGrad: x, dy and dx must be Float32Arrays");
  if (!get_sizes(env, a[3], 12, &q)) FAIL("maxPoolGrad: geometry must be an Int32Array of 12 sizes, none negative");
  const int64_t B = q[0], H = q[1], W = q[2], C = q[3], OH = q[4], OW = q[5], FH = q[6], FW = q[7], SH = q[8], SW = q[9], padTop = q[10], padLeft = q[11];
  if ((int64_t)lx < B * H * W * C || (int64_t)ldx < B * H * W * C || (int64_t)ldy < B * OH * OW * C) FAIL("maxPoolGrad: an array is smaller than the geometry says");
  memset(dx, 0, (size_t)(B * H * W * C) * sizeof(float));
  if (C == 0) return NULL;
  float *best = malloc((size_t)C * sizeof(float));
  int64_t *arg = malloc((size_t)C * sizeof(int64_t));
  if (!best || !arg) {
    free(best);
    free(arg);
    FAIL("maxPoolGrad: out of memory");
  }
  for (int64_t b = 0; b < B; b++) {
    for (int64_t oh = 0; oh < OH; oh++) {
      const int64_t h0 = oh * SH - padTop, hs = h0 > 0 ? h0 : 0, he = h0 + FH < H ? h0 + FH : H;
      for (int64_t ow = 0; ow < OW; ow++) {
        const int64_t w0 = ow * SW - padLeft, ws = w0 > 0 ? w0 : 0, we = w0 + FW < W ? w0 + FW : W;
        for (int64_t c = 0; c < C; c++) {
          best[c] = -INFINITY;
          arg[c] = -1;
        }
        for (int64_t h = hs; h < he; h++) {
          for (int64_t w = ws; w < we; w++) {
            const int64_t base = ((b * H + h) * W + w) * C;
            for (int64_t c = 0; c < C; c++) {
              const float v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                arg[c] = base + c;
              }
            }
          }
        }
        const float *g = dy + ((b * OH + oh) * OW + ow) * C;
        for (int64_t c = 0; c < C; c++)
          if (arg[c] >= 0) dx[arg[c]] += g[c];
      }
    }
  }
  free(best);
  free(arg);
  return NULL;
}

/* out[j] = scale * sum_r x[r*inner + j] over `outer` rows, in double (wasm-reduce.ts's Sum/Mean over leading axes). */
static napi_value sum_leading_fn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value a[5];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 5) FAIL("sumLeading takes 5 arguments, got %zu", argc);
  float *x, *out;
  size_t lx, lo;
  int64_t outer, inner;
  double scale;
  if (!get_f32(env, a[0], &x, &lx) || !get_f32(env, a[1], &out, &lo)) FAIL("sumLeading: x and out must be Float32Arrays");
  if (!get_i64(env, a[2], &outer) || !get_i64(env, a[3], &inner) || napi_get_value_double(env, a[4], &scale) != napi_ok) FAIL("sumLeading: outer, inner and scale must be numbers");
  if (outer < 0 || inner < 0 || (int64_t)lx < outer * inner || (int64_t)lo < inner) FAIL("sumLeading: sizes do not match (x %zu, out %zu)", lx, lo);
  double *acc = calloc(inner > 0 ? (size_t)inner : 1, sizeof(double));
  if (!acc) FAIL("sumLeading: out of memory");
  for (int64_t r = 0; r < outer; r++) {
    const float *xr = x + r * inner;
    for (int64_t j = 0; j < inner; j++) acc[j] += xr[j];
  }
  for (int64_t j = 0; j < inner; j++) out[j] = (float)(acc[j] * scale);
  free(acc);
  return NULL;
}

static napi_value set_threads_fn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 1 || napi_get_value_int32(env, a[0], &n) != napi_ok || n < 1) FAIL("setThreads needs a positive integer");
  openblas_set_num_threads(n);
  return NULL;
}

static napi_value set_chunk_fn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int64_t n;
  Scratch *s = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 1 || !get_i64(env, a[0], &n) || n < 1) FAIL("setChunkFloats needs a positive integer");
  CHECK(napi_get_instance_data(env, (void **)&s));
  s->chunk_floats = n;
  return NULL;
}

static napi_value threads_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value config_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  const char *c = openblas_get_config();
  CHECK(napi_create_string_utf8(env, c ? c : "OpenBLAS", NAPI_AUTO_LENGTH, &out));
  return out;
}

NAPI_MODULE_INIT() {
  Scratch *s = calloc(1, sizeof(Scratch));
  if (s) s->chunk_floats = CHUNK_FLOATS;
  if (!s || napi_set_instance_data(env, s, scratch_free, NULL) != napi_ok) {
    free(s);
    napi_throw_error(env, NULL, "ich-blas: cannot set up the per-thread scratch buffer");
    return NULL;
  }
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2d", NULL, conv2d_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2dBackpropFilter", NULL, conv2d_filter_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2dBackpropInput", NULL, conv2d_input_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bnTrain", NULL, bn_train_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bnTrainGrad", NULL, bn_train_grad_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sumLeading", NULL, sum_leading_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxPoolGrad", NULL, max_pool_grad_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setChunkFloats", NULL, set_chunk_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setThreads", NULL, set_threads_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"threads", NULL, threads_fn, NULL, NULL, NULL, napi_enumerable, NULL},
    {"config", NULL, config_fn, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
