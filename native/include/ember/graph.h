/* CUDA graphs (torch.cuda.CUDAGraph): the GPU work one thread queues between capture_begin and
 * capture_end is recorded once, then replayed with a single launch. The recording runs on the
 * thread's current stream of the graph's device, which must not be the default stream; nothing
 * executes while recording, and work that would wait for the GPU on the host (reading a value
 * back, synchronize, an upload from pageable memory) fails with EMBER_ERROR_BACKEND and leaves the
 * recording intact. Memory allocated on that stream while recording comes from a pool of the
 * graph's own and stays reserved for replays, which read and write the same addresses: copy new
 * inputs into the tensors the recording read, and read results from the tensors it made. */
#ifndef EMBER_GRAPH_H
#define EMBER_GRAPH_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_cuda_graph_impl* ember_cuda_graph;

/* An empty graph for device (a GPU whose backend has graphs). Destroy it when done. */
EMBER_API ember_status ember_cuda_graph_create(ember_device device, ember_cuda_graph* out);
/* Starts recording the calling thread's current stream of the graph's device. */
EMBER_API ember_status ember_cuda_graph_capture_begin(ember_cuda_graph graph);
/* Ends the recording (on the thread that began it) and prepares the graph for replay. */
EMBER_API ember_status ember_cuda_graph_capture_end(ember_cuda_graph graph);
/* Queues the recorded work on the calling thread's current stream and returns at once. */
EMBER_API ember_status ember_cuda_graph_replay(ember_cuda_graph graph);
/* Drops the recording and its pool, so the graph can record again. */
EMBER_API ember_status ember_cuda_graph_reset(ember_cuda_graph graph);
/* Frees the graph (NULL is fine); its pool's memory returns to the device once the tensors
 * allocated from it are released. */
EMBER_API ember_status ember_cuda_graph_destroy(ember_cuda_graph graph);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_GRAPH_H */
