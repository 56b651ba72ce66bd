/* Ember: the whole C ABI. Include this one header. */
#ifndef EMBER_H
#define EMBER_H

#include "core.h"
#include "tensor.h"
#include "ops.h"
#include "nn.h"
#include "optim.h"

#endif /* EMBER_H */
