/* Ember C ABI: sorting and search (torch.sort, topk, kthvalue, unique, searchsorted, bucketize,
 * histc). Indices are int64. NaN sorts as the largest value. */
#ifndef EMBER_SORTING_H
#define EMBER_SORTING_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Values and their original indices along dim; stable keeps the order of equal elements. */
EMBER_API ember_status ember_sort(ember_tensor t, int32_t dim, int32_t descending, int32_t stable,
                                  ember_tensor* values, ember_tensor* indices);
/* The k largest (or smallest) elements along dim, in sorted order (ties: lower index first). */
EMBER_API ember_status ember_topk(ember_tensor t, int64_t k, int32_t dim, int32_t largest,
                                  int32_t sorted, ember_tensor* values, ember_tensor* indices);
/* The k-th smallest element (k from 1) along dim and its index. */
EMBER_API ember_status ember_kthvalue(ember_tensor t, int64_t k, int32_t dim, int32_t keepdim,
                                      ember_tensor* values, ember_tensor* indices);
/* torch.unique over all elements: sorted unique values, the inverse indices (t's shape, int64)
 * and the counts. */
EMBER_API ember_status ember_unique(ember_tensor t, ember_tensor* values, ember_tensor* inverse,
                                    ember_tensor* counts);
/* Insertion points of values in the innermost dim of sorted_sequence (1-d, or with values'
 * leading dims); right picks the rightmost one. */
EMBER_API ember_status ember_searchsorted(ember_tensor sorted_sequence, ember_tensor values,
                                          int32_t out_int32, int32_t right, ember_tensor* out);
/* The bucket of each input element in the 1-d boundaries. */
EMBER_API ember_status ember_bucketize(ember_tensor input, ember_tensor boundaries,
                                       int32_t out_int32, int32_t right, ember_tensor* out);
/* Histogram of bins equal bins over [min, max]; min == max == 0 uses the data's range. */
EMBER_API ember_status ember_histc(ember_tensor t, int64_t bins, double min, double max,
                                   ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SORTING_H */
