; Kotlin: see graph/extract.py. The interface pattern comes first: it wins over "class".
(class_declaration "interface" (type_identifier) @name) @def.interface
(class_declaration (type_identifier) @name) @def.class
(object_declaration (type_identifier) @name) @def.object
(function_declaration (simple_identifier) @name) @def.function

(delegation_specifier (user_type (type_identifier) @inherit))
(delegation_specifier (constructor_invocation (user_type (type_identifier) @inherit)))

(call_expression (simple_identifier) @call)
(call_expression (navigation_expression (_) @call.receiver (navigation_suffix (simple_identifier) @call)))

(import_header (identifier) @import)

[(if_expression) (for_statement) (while_statement) (do_while_statement) (when_entry)
 (catch_block) (conjunction_expression) (disjunction_expression) (elvis_expression)] @branch
[(if_expression) (for_statement) (while_statement) (do_while_statement) (when_expression)
 (try_expression)] @nest

[(line_comment) (multiline_comment)] @comment
