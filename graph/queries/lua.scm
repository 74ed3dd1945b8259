; Lua: see graph/extract.py. `function M.f()` and `function M:f()` are methods of table M.
(function_declaration name: (identifier) @name) @def.function
(function_declaration name: (dot_index_expression table: (identifier) @receiver field: (identifier) @name)) @def.method
(function_declaration name: (method_index_expression table: (identifier) @receiver method: (identifier) @name)) @def.method

(function_call name: (identifier) @call)
(function_call name: (dot_index_expression table: (_) @call.receiver field: (identifier) @call))
(function_call name: (method_index_expression table: (_) @call.receiver method: (identifier) @call))

(variable_declaration (assignment_statement
  (variable_list name: (identifier) @import.alias)
  (expression_list value: (function_call name: (identifier) @_require
    arguments: (arguments (string content: (string_content) @import)))))
  (#eq? @_require "require"))
(function_call name: (identifier) @_require arguments: (arguments (string content: (string_content) @import))
  (#eq? @_require "require"))

[(if_statement) (elseif_statement) (for_statement) (while_statement) (repeat_statement)] @branch
(binary_expression ["and" "or"]) @branch
[(if_statement) (for_statement) (while_statement) (repeat_statement)] @nest

(comment) @comment
