// @seqlab/optim: the public API is a list of named exports, grouped by concept. Its contents arrive
// with issue #5; the package exists now so the workspace, the dependency direction and the
// publishing pipeline are in place.
export {};
