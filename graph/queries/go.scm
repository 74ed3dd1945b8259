; Go: see graph/extract.py for the meaning of each capture name.
(function_declaration name: (identifier) @name) @def.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: [
    (type_identifier) @receiver
    (pointer_type (type_identifier) @receiver)
    (generic_type type: (type_identifier) @receiver)
    (pointer_type (generic_type type: (type_identifier) @receiver))]))
  name: (field_identifier) @name) @def.method
(type_declaration (type_spec name: (type_identifier) @name type: (struct_type)) @def.struct)
(type_declaration (type_spec name: (type_identifier) @name type: (interface_type)) @def.interface)

(struct_type (field_declaration_list (field_declaration !name type: (type_identifier) @inherit)))
(interface_type (type_elem (type_identifier) @inherit))

(call_expression function: (identifier) @call)
(call_expression function: (selector_expression operand: (_) @call.receiver field: (field_identifier) @call))

(import_spec name: (package_identifier)? @import.alias path: (interpreted_string_literal (interpreted_string_literal_content) @import))

[(if_statement) (for_statement) (expression_case) (type_case) (communication_case)] @branch
(binary_expression operator: ["&&" "||"]) @branch
[(if_statement) (for_statement) (expression_switch_statement) (type_switch_statement)
 (select_statement)] @nest

(comment) @comment
