/* The public headers as a pure C11 program (-std=c11 -pedantic -Werror), linked against the shared
 * library: no C++ leaks into the headers, the enums and structs have the layout the bindings
 * assume, and a few calls work end to end from C. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ember/ember.h"
#include "ember/plugin.h"

/* Enums are int-sized; structs are laid out without surprises (the bindings assert the same). */
_Static_assert(sizeof(ember_status) == 4, "ember_status is 4 bytes");
_Static_assert(sizeof(ember_dtype) == 4, "ember_dtype is 4 bytes");
_Static_assert(sizeof(ember_device_type) == 4, "ember_device_type is 4 bytes");
_Static_assert(sizeof(ember_scalar_kind) == 4, "ember_scalar_kind is 4 bytes");
_Static_assert(sizeof(ember_device) == 8, "ember_device is 8 bytes");
_Static_assert(offsetof(ember_device, type) == 0 && offsetof(ember_device, index) == 4,
               "ember_device layout");
_Static_assert(sizeof(ember_scalar) == 24, "ember_scalar is 24 bytes");
_Static_assert(offsetof(ember_scalar, f) == 0 && offsetof(ember_scalar, i) == 8 &&
                   offsetof(ember_scalar, kind) == 16 && offsetof(ember_scalar, reserved) == 20,
               "ember_scalar layout");
_Static_assert(sizeof(ember_tensor) == sizeof(void*), "handles are pointers");
_Static_assert(sizeof(ember_generator) == sizeof(void*), "handles are pointers");
_Static_assert(EMBER_UINT8 == 0 && EMBER_INT64 == 4 && EMBER_FLOAT32 == 6 && EMBER_BOOL == 11 &&
                   EMBER_BFLOAT16 == 15,
               "dtype codes follow PyTorch's ScalarType");
_Static_assert(EMBER_OK == 0 && EMBER_ERROR_INTERNAL == 8, "status codes");
_Static_assert(EMBER_ABI_VERSION >= 1, "ABI version");
_Static_assert(sizeof(ember_backend) == 16 + 2 * sizeof(void*) + 33 * sizeof(void (*)(void)),
               "ember_backend layout");
_Static_assert(offsetof(ember_plugin_host, host_ctx) == 16, "ember_plugin_host layout");

static int failures = 0;

#define CHECK(cond)                                                                           \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, \
              ember_last_error());                                                            \
      ++failures;                                                                             \
    }                                                                                         \
  } while (0)

int main(void) {
  int32_t version = 0;
  const int64_t sizes[2] = {2, 2};
  const float values[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  float result[4] = {0};
  ember_tensor a = NULL, b = NULL, out = NULL;
  ember_device cpu;
  ember_scalar two;

  cpu.type = EMBER_DEVICE_CPU;
  cpu.index = 0;
  memset(&two, 0, sizeof two);
  two.kind = EMBER_SCALAR_FLOAT;
  two.f = 2.0;

  CHECK(ember_abi_version(&version) == EMBER_OK && version == EMBER_ABI_VERSION);
  CHECK(ember_from_data(values, sizeof values, sizes, 2, EMBER_FLOAT32, &a) == EMBER_OK);
  CHECK(ember_mul_scalar(a, two, &b) == EMBER_OK);
  CHECK(ember_add(a, b, &out) == EMBER_OK);
  CHECK(ember_copy_to_host(out, result, sizeof result) == EMBER_OK);
  CHECK(result[0] == 3.0f && result[3] == 12.0f);

  /* An error from C: a status and a message, the out-parameter untouched. */
  {
    ember_tensor untouched = a;
    CHECK(ember_empty(sizes, 2, 99, cpu, &untouched) == EMBER_ERROR_DTYPE);
    CHECK(untouched == a);
    CHECK(strstr(ember_last_error(), "empty") != NULL);
  }

  CHECK(ember_tensor_release(out) == EMBER_OK);
  CHECK(ember_tensor_release(b) == EMBER_OK);
  CHECK(ember_tensor_release(a) == EMBER_OK);
  {
    int64_t live = -1;
    CHECK(ember_cpu_bytes_allocated(&live) == EMBER_OK && live == 0);
  }
  if (failures == 0) printf("C header test passed\n");
  return failures == 0 ? 0 : 1;
}
