[
  (block)
  (parameters)
  (arguments)
  (list)
] @indent.begin

[ "}" ")" "]" ] @indent.branch @indent.end

(comment) @indent.auto
(doc_comment) @indent.auto
