; Scala: see graph/extract.py for the meaning of each capture name.
(class_definition name: (identifier) @name) @def.class
(trait_definition name: (identifier) @name) @def.trait
(object_definition name: (identifier) @name) @def.object
(enum_definition name: (identifier) @name) @def.enum
(function_definition name: (identifier) @name) @def.function
(function_declaration name: (identifier) @name) @def.function

(extends_clause (type_identifier) @inherit)
(extends_clause (generic_type type: (type_identifier) @inherit))

(call_expression function: (identifier) @call)
(call_expression function: (field_expression value: (_) @call.receiver field: (identifier) @call))
(instance_expression (type_identifier) @call)

(import_declaration) @import

[(if_expression) (case_clause) (for_expression) (while_expression) (catch_clause)] @branch
(infix_expression operator: (operator_identifier) @_op (#any-of? @_op "&&" "||")) @branch
[(if_expression) (match_expression) (for_expression) (while_expression) (try_expression)] @nest

[(comment) (block_comment)] @comment
