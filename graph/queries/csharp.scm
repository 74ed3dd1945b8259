; C#: see graph/extract.py for the meaning of each capture name.
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(struct_declaration name: (identifier) @name) @def.struct
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(method_declaration name: (identifier) @name) @def.function
(constructor_declaration name: (identifier) @name) @def.function
(local_function_statement name: (identifier) @name) @def.function
(namespace_declaration name: (_) @name) @namespace

(base_list (identifier) @inherit)
(base_list (generic_name (identifier) @inherit))
(base_list (qualified_name name: (identifier) @inherit))

(invocation_expression function: (identifier) @call)
(invocation_expression function: (member_access_expression expression: (_) @call.receiver name: (identifier) @call))
(object_creation_expression type: (identifier) @call)

(using_directive [(identifier) (qualified_name)] @import)

[(if_statement) (for_statement) (foreach_statement) (while_statement) (do_statement)
 (catch_clause) (switch_section) (conditional_expression)] @branch
(binary_expression operator: ["&&" "||" "??"]) @branch
[(if_statement) (for_statement) (foreach_statement) (while_statement) (do_statement)
 (try_statement) (switch_statement)] @nest

(comment) @comment
