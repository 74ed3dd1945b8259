; Shared by JavaScript, TypeScript and TSX (see their .scm files); captures: graph/extract.py.
(function_declaration name: (identifier) @name) @def.function
(generator_function_declaration name: (identifier) @name) @def.function
(class_declaration name: (_) @name) @def.class
(method_definition name: (_) @name) @def.function
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def.function
(assignment_expression left: (member_expression property: (property_identifier) @name) right: [(arrow_function) (function_expression)]) @def.function


(call_expression function: (identifier) @call)
(call_expression function: (member_expression object: (_) @call.receiver property: (property_identifier) @call))
(new_expression constructor: (identifier) @call)
(new_expression constructor: (member_expression object: (_) @call.receiver property: (property_identifier) @call))

(import_statement (import_clause (identifier) @import.alias) source: (string (string_fragment) @import))
(import_statement (import_clause (namespace_import (identifier) @import.alias)) source: (string (string_fragment) @import))
(import_statement (import_clause (named_imports (import_specifier name: (_) @import.name alias: (_)? @import.alias))) source: (string (string_fragment) @import))
(import_statement . "import" . source: (string (string_fragment) @import))
(export_statement source: (string (string_fragment) @import))
(variable_declarator name: (identifier) @import.alias
  value: (call_expression function: (identifier) @_require arguments: (arguments . (string (string_fragment) @import)))
  (#eq? @_require "require"))
(expression_statement (call_expression function: (identifier) @_require arguments: (arguments . (string (string_fragment) @import)))
  (#eq? @_require "require"))

[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement)
 (switch_case) (catch_clause) (ternary_expression)] @branch
(binary_expression operator: ["&&" "||" "??"]) @branch
[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement)
 (switch_statement) (try_statement)] @nest

(comment) @comment
