; C++: see graph/extract.py. Out-of-class definitions (A::f) are methods of A; namespaces qualify.
(function_definition declarator: [
  (function_declarator declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name)
  (pointer_declarator declarator: (function_declarator declarator: [(identifier) (field_identifier)] @name))
  (reference_declarator (function_declarator declarator: [(identifier) (field_identifier)] @name))
]) @def.function
(function_definition declarator: [
  (function_declarator declarator: (qualified_identifier scope: (_) @receiver name: (_) @name))
  (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier scope: (_) @receiver name: (_) @name)))
  (reference_declarator (function_declarator declarator: (qualified_identifier scope: (_) @receiver name: (_) @name)))
]) @def.method
(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.class
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum
(namespace_definition name: (_) @name) @namespace

(base_class_clause (type_identifier) @inherit)
(base_class_clause (qualified_identifier name: (type_identifier) @inherit))
(base_class_clause (template_type name: (type_identifier) @inherit))

(call_expression function: (identifier) @call)
(call_expression function: (field_expression argument: (_) @call.receiver field: (field_identifier) @call))
(call_expression function: (qualified_identifier scope: (_) @call.receiver name: (identifier) @call))
(new_expression type: (type_identifier) @call)

(preproc_include path: (string_literal (string_content) @import))

[(if_statement) (for_statement) (for_range_loop) (while_statement) (do_statement)
 (case_statement) (catch_clause) (conditional_expression)] @branch
(binary_expression operator: ["&&" "||" "and" "or"]) @branch
[(if_statement) (for_statement) (for_range_loop) (while_statement) (do_statement)
 (switch_statement) (try_statement)] @nest

(comment) @comment
