// CUDA graphs: the backend table's graph callbacks (graph.cu).
#pragma once

#include "ember/plugin.h"

namespace ember_cuda {

// Sets table's graph_* callbacks.
void fill_graph_callbacks(ember_backend& table);

}  // namespace ember_cuda
