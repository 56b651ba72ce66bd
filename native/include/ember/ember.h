/* Ember: the whole C ABI. Include this one header. */
#ifndef EMBER_H
#define EMBER_H

#include "core.h"
#include "indexing.h"
#include "linalg.h"
#include "nn.h"
#include "ops.h"
#include "optim.h"
#include "shape.h"
#include "sorting.h"
#include "tensor.h"

#endif /* EMBER_H */
