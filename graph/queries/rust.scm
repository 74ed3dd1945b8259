; Rust: see graph/extract.py. `impl` blocks are scopes: their functions become methods of the type.
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(union_item name: (type_identifier) @name) @def.struct
(trait_item name: (type_identifier) @name) @def.trait
(mod_item name: (identifier) @name body: (declaration_list)) @def.module
(impl_item type: [(type_identifier) @name (generic_type type: (type_identifier) @name)]) @scope

(impl_item trait: [(type_identifier) @inherit (generic_type type: (type_identifier) @inherit)
                   (scoped_type_identifier name: (type_identifier) @inherit)])
(trait_item bounds: (trait_bounds (type_identifier) @inherit))

(call_expression function: (identifier) @call)
(call_expression function: (field_expression value: (_) @call.receiver field: (field_identifier) @call))
(call_expression function: (scoped_identifier path: (_) @call.receiver name: (identifier) @call))
(call_expression function: (generic_function function: (identifier) @call))

(use_declaration argument: (_) @import)
(mod_item !body name: (identifier) @import)

[(if_expression) (match_arm) (while_expression) (for_expression) (loop_expression)] @branch
(binary_expression operator: ["&&" "||"]) @branch
[(if_expression) (match_expression) (while_expression) (for_expression) (loop_expression)] @nest

[(line_comment) (block_comment)] @comment
