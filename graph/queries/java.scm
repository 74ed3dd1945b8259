; Java: see graph/extract.py for the meaning of each capture name.
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(annotation_type_declaration name: (identifier) @name) @def.interface
(method_declaration name: (identifier) @name) @def.function
(constructor_declaration name: (identifier) @name) @def.function

(superclass (type_identifier) @inherit)
(superclass (generic_type (type_identifier) @inherit))
(super_interfaces (type_list (type_identifier) @inherit))
(super_interfaces (type_list (generic_type (type_identifier) @inherit)))
(extends_interfaces (type_list (type_identifier) @inherit))

(method_invocation object: (_)? @call.receiver name: (identifier) @call)
(object_creation_expression type: (type_identifier) @call)

(import_declaration (scoped_identifier) @import)

[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement)
 (catch_clause) (ternary_expression) (switch_label)] @branch
(binary_expression operator: ["&&" "||"]) @branch
[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement)
 (try_statement) (switch_expression)] @nest

[(line_comment) (block_comment)] @comment
