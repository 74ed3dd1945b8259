; Swift: see graph/extract.py. Imports name modules, not files, so they stay unresolved.
(class_declaration "struct" name: (type_identifier) @name) @def.struct
(class_declaration "enum" name: (type_identifier) @name) @def.enum
(class_declaration name: (type_identifier) @name) @def.class
(protocol_declaration name: (type_identifier) @name) @def.interface
(function_declaration name: (simple_identifier) @name) @def.function
(protocol_function_declaration name: (simple_identifier) @name) @def.function
(init_declaration "init" @name) @def.function

(inheritance_specifier inherits_from: (user_type (type_identifier) @inherit))

(call_expression (simple_identifier) @call)
(call_expression (navigation_expression target: (_) @call.receiver suffix: (navigation_suffix suffix: (simple_identifier) @call)))

(import_declaration (identifier) @import)

[(if_statement) (guard_statement) (for_statement) (while_statement) (repeat_while_statement)
 (switch_entry) (catch_block) (ternary_expression) (conjunction_expression)
 (disjunction_expression) (nil_coalescing_expression)] @branch
[(if_statement) (guard_statement) (for_statement) (while_statement) (repeat_while_statement)
 (switch_statement) (do_statement)] @nest

[(comment) (multiline_comment)] @comment
