// @seqlab/metrics: the public API is a list of named exports, grouped by concept. Its contents arrive
// with issue #7.
export {};
