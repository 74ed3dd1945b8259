; PHP: see graph/extract.py for the meaning of each capture name.
(class_declaration name: (name) @name) @def.class
(interface_declaration name: (name) @name) @def.interface
(trait_declaration name: (name) @name) @def.trait
(enum_declaration name: (name) @name) @def.enum
(method_declaration name: (name) @name) @def.function
(function_definition name: (name) @name) @def.function

(base_clause (name) @inherit)
(base_clause (qualified_name (name) @inherit))
(class_interface_clause (name) @inherit)

(function_call_expression function: (name) @call)
(function_call_expression function: (qualified_name (name) @call))
(member_call_expression object: (variable_name (name) @call.receiver) name: (name) @call)
(member_call_expression object: (_) name: (name) @call)
(scoped_call_expression scope: (name) @call.receiver name: (name) @call)
(object_creation_expression (name) @call)

(namespace_use_clause (qualified_name) @import)
(namespace_use_clause (name) @import)
([(require_expression) (require_once_expression) (include_expression) (include_once_expression)]
  (string (string_content) @import))

[(if_statement) (else_if_clause) (for_statement) (foreach_statement) (while_statement)
 (do_statement) (case_statement) (catch_clause) (conditional_expression)] @branch
(binary_expression operator: ["&&" "||" "and" "or" "??"]) @branch
[(if_statement) (for_statement) (foreach_statement) (while_statement) (do_statement)
 (switch_statement) (try_statement)] @nest

(comment) @comment
