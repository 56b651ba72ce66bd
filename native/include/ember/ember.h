/* Ember: the whole C ABI. Include this one header. */
#ifndef EMBER_H
#define EMBER_H

#include "attention.h"
#include "conv_pool.h"
#include "core.h"
#include "fused.h"
#include "graph.h"
#include "indexing.h"
#include "interpolate.h"
#include "linalg.h"
#include "loss.h"
#include "nn.h"
#include "ops.h"
#include "optim.h"
#include "shape.h"
#include "sorting.h"
#include "stream.h"
#include "tensor.h"

#endif /* EMBER_H */
