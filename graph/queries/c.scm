; C: see graph/extract.py. Function names sit under (pointer) declarators.
(function_definition declarator: [
  (function_declarator declarator: (identifier) @name)
  (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
  (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
]) @def.function
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum

(call_expression function: (identifier) @call)
(call_expression function: (field_expression argument: (_) @call.receiver field: (field_identifier) @call))

(preproc_include path: (string_literal (string_content) @import))

[(if_statement) (for_statement) (while_statement) (do_statement) (case_statement)
 (conditional_expression)] @branch
(binary_expression operator: ["&&" "||"]) @branch
[(if_statement) (for_statement) (while_statement) (do_statement) (switch_statement)] @nest

(comment) @comment
