[
  (block)
  (parameters)
  (arguments)
  (list)
] @fold
